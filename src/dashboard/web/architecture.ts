/**
 * The U-Net a trial compiles to, drawn as SVG from its IR: encoder stages down the left (blocks,
 * features, stride), the bottleneck at the bottom, decoder stages up the right, skip connections
 * across, and the encoder type, normalisation, activation and dropout of each half.
 */
import type { NetworkView } from '../trial-view.js';
import { svg } from './dom.js';

type IR = NetworkView['ir'];

const BOX_W = 230;
const BOX_H = 46;
const GAP_Y = 22;
const GAP_X = 120;
const PAD = 16;

const style = (s: IR['encoderStyle']) => `${s.norm.replace('_', ' ')}, ${s.nonlin.replace('_', ' ')}${s.dropout > 0 ? `, dropout ${s.dropout}` : ''}`;

export function architectureDiagram(ir: IR): SVGElement {
  const n = ir.encoder.length;
  const height = PAD * 2 + 40 + n * (BOX_H + GAP_Y) + 40;
  const width = PAD * 2 + BOX_W * 2 + GAP_X;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `U-Net with ${n} stages`, id: 'architecture' });
  const block = ir.encoderType === 'residual' ? 'res block' : 'conv block';
  root.append(
    svg('text', { x: PAD, y: PAD + 12, 'font-size': 13, 'font-weight': 'bold' }, `encoder: ${ir.encoderType}`),
    svg('text', { x: PAD, y: PAD + 28, 'font-size': 11, fill: '#444' }, style(ir.encoderStyle)),
    svg('text', { x: PAD + BOX_W + GAP_X, y: PAD + 12, 'font-size': 13, 'font-weight': 'bold' }, 'decoder: conv'),
    svg('text', { x: PAD + BOX_W + GAP_X, y: PAD + 28, 'font-size': 11, fill: '#444' }, style(ir.decoderStyle)),
  );
  const top = PAD + 40;
  const yOf = (stage: number) => top + stage * (BOX_H + GAP_Y);
  const maxF = Math.max(...ir.encoder.map((s) => s.features));
  const box = (x: number, y: number, fill: string, lines: string[], features: number, cls: string) => {
    // Width grows with the features (log scale), so wide stages read as wide.
    const w = BOX_W * (0.45 + 0.55 * (Math.log2(features) / Math.log2(Math.max(2, maxF))));
    const g = svg('g', { class: cls });
    g.append(svg('rect', { x, y, width: w, height: BOX_H, rx: 5, fill, stroke: '#345', 'stroke-width': 1 }));
    lines.forEach((l, i) => g.append(svg('text', { x: x + 8, y: y + 17 + i * 15, 'font-size': 11 }, l)));
    root.append(g);
    return w;
  };
  const encW: number[] = [];
  ir.encoder.forEach((s, i) => {
    const name = i === n - 1 ? `bottleneck (stage ${i})` : `stage ${i}`;
    const blocks = `${s.blocks} x ${block}${i === 0 && ir.stem ? ' + stem' : ''}`;
    encW.push(box(PAD, yOf(i), i === n - 1 ? '#f6d6a8' : '#cfe3f7', [`${name}: ${blocks}`, `${s.features} features, stride ${s.stride.join('x')}`], s.features, 'encoder-stage'));
    if (i > 0) root.append(svg('line', { x1: PAD + 20, y1: yOf(i - 1) + BOX_H, x2: PAD + 20, y2: yOf(i), stroke: '#345', 'marker-end': 'url(#arrow)' }));
  });
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#345' }));
  defs.append(marker);
  root.prepend(defs);
  const decX = PAD + BOX_W + GAP_X;
  ir.decoder.forEach((s, j) => {
    const stage = s.skipStage;
    box(decX, yOf(stage), '#d4efd4', [`up ${s.upStride.join('x')} -> stage ${stage}: ${s.blocks} x conv block`, `${s.features} features`], s.features, 'decoder-stage');
    // skip connection from the encoder stage at the same resolution
    root.append(svg('line', { x1: PAD + encW[stage]!, y1: yOf(stage) + BOX_H / 2, x2: decX, y2: yOf(stage) + BOX_H / 2, stroke: '#999', 'stroke-dasharray': '4 3', 'marker-end': 'url(#arrow)' }));
    const from = j === 0 ? { x: PAD + encW[n - 1]!, y: yOf(n - 1) + BOX_H / 2 } : { x: decX + 20, y: yOf(stage + 1) };
    root.append(svg('line', { x1: from.x, y1: from.y, x2: decX + 20, y2: yOf(stage) + BOX_H, stroke: '#345', 'marker-end': 'url(#arrow)' }));
  });
  root.append(svg('text', { x: decX, y: height - PAD, 'font-size': 11, fill: '#444' }, `${ir.numClasses} classes; deep supervision ${ir.deepSupervision ? 'on' : 'off'}; patch ${ir.patchSize.join('x')}`));
  return root;
}
