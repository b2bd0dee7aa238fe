/** Vega-Lite -> SVG (vega, headless) -> PNG (resvg). Text uses the system's fonts. */
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../util/fs.js';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale = 2): Uint8Array {
  return new Resvg(svg, { font: { loadSystemFonts: true }, fitTo: { mode: 'zoom', value: scale }, background: 'white' }).render().asPng();
}

export interface PlotFiles {
  readonly title: string;
  readonly svg: string;
  readonly png: string;
}

export interface Chart {
  readonly name: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
}

/** An output folder's files: every file written atomically; the charts are rendered before anything is written. */
export class OutputFolder {
  readonly files: string[] = [];
  constructor(readonly dir: string) {}

  write(name: string, data: string | Uint8Array): void {
    writeFileAtomic(join(this.dir, name), data);
    this.files.push(join(this.dir, name));
  }

  /** Renders every chart (a failing spec writes nothing), then writes each as <name>.svg and <name>.png. */
  async charts(charts: readonly Chart[]): Promise<PlotFiles[]> {
    const rendered = [];
    for (const c of charts) {
      const svg = await renderSvg(c.spec);
      rendered.push({ c, svg, png: svgToPng(svg) });
    }
    return rendered.map(({ c, svg, png }) => {
      this.write(`${c.name}.svg`, svg);
      this.write(`${c.name}.png`, png);
      return { title: c.title, svg: `${c.name}.svg`, png: `${c.name}.png` };
    });
  }
}
