// A minimal PNG encoder (8-bit RGBA, no interlace) on node:zlib, and the Teams app icons drawn with it.
import { deflateSync } from 'node:zlib';
import { crc32 } from './zip-writer.js';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length, 0);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([len, body, crc]);
}

/** rgba: width × height × 4 bytes, row by row. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) throw new Error('rgba length must be width × height × 4');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Width and height from a PNG's IHDR (for checks). */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(png.buffer, png.byteOffset, png.length);
  if (b.readUInt32BE(0) !== 0x89504e47 || b.toString('ascii', 12, 16) !== 'IHDR') throw new Error('not a PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

type Painter = (x: number, y: number) => [number, number, number, number];

function paint(size: number, painter: Painter): Buffer {
  const rgba = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) rgba.set(painter(x + 0.5, y + 0.5), (y * size + x) * 4);
  return encodePng(size, size, rgba);
}

/** Two arrows in a circle (sync): inside the ring and on the arrow heads. */
function syncMark(x: number, y: number, size: number): boolean {
  const c = size / 2;
  const dx = x - c;
  const dy = y - c;
  const r = Math.hypot(dx, dy);
  const ring = r > size * 0.26 && r < size * 0.36;
  const angle = Math.atan2(dy, dx);
  const gap = Math.abs(Math.sin(angle)) < 0.22 && Math.abs(dx) > 0; // two gaps left and right
  const head = (hx: number, hy: number, dir: number) => {
    const px = (x - hx) * dir;
    const py = y - hy;
    return px >= 0 && px < size * 0.14 && Math.abs(py) < size * 0.14 - px;
  };
  return (ring && !gap) || head(c + size * 0.31, c - size * 0.02, -1) || head(c - size * 0.31, c + size * 0.02, 1);
}

/** color.png: 192×192, white sync mark on the accent colour. */
export function colorIcon(): Buffer {
  const size = 192;
  return paint(size, (x, y) => (syncMark(x, y, size) ? [255, 255, 255, 255] : [0x2b, 0x57, 0x97, 255]));
}

/** outline.png: 32×32, white mark on a transparent background (as Teams requires). */
export function outlineIcon(): Buffer {
  const size = 32;
  return paint(size, (x, y) => (syncMark(x, y, size) ? [255, 255, 255, 255] : [0, 0, 0, 0]));
}
