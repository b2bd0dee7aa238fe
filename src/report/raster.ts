/**
 * The pixels of an overlay panel: a 2D slice windowed to grey, shown on a display grid that keeps
 * the voxels' physical aspect ratio (nearest neighbour), with the outline of each label class drawn
 * in the class's colour, encoded as PNG (fast-png). Everything here is deterministic integer work.
 */
import { decode, encode } from 'fast-png';
import { percentile } from '../data/stats.js';

/** A 2D grid, row-major, row 0 at the top. */
export interface Grid<T extends ArrayLike<number>> {
  readonly width: number;
  readonly height: number;
  readonly data: T;
}

export interface Rgba extends Grid<Uint8Array> {}

export type Rgb = readonly [number, number, number];

/** Okabe-Ito colours (told apart with the common colour-vision deficiencies), none of them grey. */
const PALETTE: readonly Rgb[] = [
  [230, 159, 0],
  [86, 180, 233],
  [0, 158, 115],
  [240, 228, 66],
  [0, 114, 178],
  [213, 94, 0],
  [204, 121, 167],
];

/** The colour of foreground label value `value` (1, 2, ...), the same in every panel and legend. */
export const classColour = (value: number): Rgb => PALETTE[(value - 1) % PALETTE.length]!;

export const hex = (c: Rgb): string => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/** The intensity window of a slice: its 0.5th and 99.5th percentiles. */
export function intensityWindow(values: ArrayLike<number>): [number, number] {
  return [percentile(values, 0.5), percentile(values, 99.5)];
}

/** Intensities -> grey levels 0..255, linear inside the window and clipped outside (a flat window is black). */
export function toGrey(values: ArrayLike<number>, [lo, hi]: readonly [number, number]): Uint8Array {
  const out = new Uint8Array(values.length);
  if (!(hi > lo)) return out;
  for (let i = 0; i < values.length; i++) out[i] = Math.round(255 * Math.min(1, Math.max(0, (values[i]! - lo) / (hi - lo))));
  return out;
}

/**
 * The display grid's size for `width` x `height` voxels of `pixelMm` = [width, height] mm each, so
 * that the longer physical side spans `longSide` pixels and the aspect ratio is the physical one.
 */
export function displaySize(width: number, height: number, pixelMm: readonly [number, number], longSide: number): [number, number] {
  const perMm = longSide / Math.max(width * pixelMm[0], height * pixelMm[1]);
  return [Math.max(1, Math.round(width * pixelMm[0] * perMm)), Math.max(1, Math.round(height * pixelMm[1] * perMm))];
}

/** Nearest-neighbour resampling onto a `width` x `height` grid (pixel centres mapped to source cells). */
export function resampleNearest<T extends Int16Array | Uint8Array | Float32Array>(src: Grid<T>, width: number, height: number): Grid<T> {
  const data = new (src.data.constructor as new (n: number) => T)(width * height);
  const xs = Int32Array.from({ length: width }, (_, x) => Math.min(src.width - 1, Math.floor(((x + 0.5) * src.width) / width)));
  for (let y = 0; y < height; y++) {
    const row = Math.min(src.height - 1, Math.floor(((y + 0.5) * src.height) / height)) * src.width;
    for (let x = 0; x < width; x++) data[y * width + x] = src.data[row + xs[x]!]!;
  }
  return { width, height, data };
}

/**
 * The outline of class `value`: its pixels with at least one of the 4 neighbours outside the class
 * (a pixel on the grid's edge counts as bordering the outside).
 */
export function outline(labels: Grid<ArrayLike<number>>, value: number): Uint8Array {
  const { width: w, height: h, data } = labels;
  const out = new Uint8Array(w * h);
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && data[y * w + x] === value;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (data[y * w + x] === value && !(inside(x - 1, y) && inside(x + 1, y) && inside(x, y - 1) && inside(x, y + 1))) out[y * w + x] = 1;
  return out;
}

/** Grey image with the outlines of `classes` (later classes drawn over earlier ones where they meet). */
export function outlinedImage(grey: Grid<Uint8Array>, labels: Grid<ArrayLike<number>> | null, classes: readonly number[]): Rgba {
  const n = grey.width * grey.height;
  const data = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) data.set([grey.data[i]!, grey.data[i]!, grey.data[i]!, 255], 4 * i);
  if (labels) {
    if (labels.width !== grey.width || labels.height !== grey.height) throw new Error(`outlinedImage: labels ${labels.width}x${labels.height} vs image ${grey.width}x${grey.height}`);
    for (const c of classes) {
      const edge = outline(labels, c);
      const colour = classColour(c);
      for (let i = 0; i < n; i++) if (edge[i]) data.set(colour, 4 * i);
    }
  }
  return { width: grey.width, height: grey.height, data };
}

export const encodePng = (img: Rgba): Uint8Array => encode({ width: img.width, height: img.height, data: img.data, channels: 4, depth: 8 });

/** A PNG decoded to 8-bit RGBA (for checks of what was written). */
export function decodePng(bytes: Uint8Array): Rgba {
  const png = decode(bytes);
  if (png.depth !== 8 || (png.channels !== 3 && png.channels !== 4)) throw new Error(`decodePng: ${png.channels} channels of ${png.depth} bits`);
  const n = png.width * png.height;
  const data = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) data[4 * i + c] = png.data[png.channels * i + c]!;
    data[4 * i + 3] = png.channels === 4 ? png.data[4 * i + 3]! : 255;
  }
  return { width: png.width, height: png.height, data };
}
