/**
 * Vega-Lite specs drawn in the page: compiled by vega-lite, parsed to an AST and evaluated by
 * vega-interpreter, so the page runs under a Content-Security-Policy without 'unsafe-eval'.
 */
import { parse, View } from 'vega';
import { expressionInterpreter } from 'vega-interpreter';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface DrawnChart {
  readonly view: View;
  readonly element: HTMLElement;
}

/** Renders `spec` as SVG into a new element; `onClick` gets the datum of a clicked mark. */
export async function drawChart(spec: TopLevelSpec, onClick?: (datum: Record<string, unknown>) => void): Promise<DrawnChart> {
  const element = document.createElement('div');
  element.className = 'chart';
  const runtime = parse(compile(spec).spec, undefined, { ast: true });
  const view = new View(runtime, { expr: expressionInterpreter, renderer: 'svg', container: element, hover: true });
  if (onClick)
    view.addEventListener('click', (_event, item) => {
      const datum = (item as { datum?: Record<string, unknown> } | null | undefined)?.datum;
      if (datum) onClick(datum);
    });
  await view.runAsync();
  return { view, element };
}
