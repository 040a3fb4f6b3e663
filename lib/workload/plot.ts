import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { makeOutputDirectory, writeOutput } from '../support/outputs.js';
import { importPeer, requirePeers } from '../support/peer.js';
import { NUMERIC_COLUMNS, requireRows, FUSIO_COLUMNS, type CsvRow } from './csv.js';
import { counted } from '../support/counted.js';

/** One written image: its file and what it shows. */
export interface PlotFile {
  name: string;
  title: string;
  path: string;
  svg: string;
}

export interface PlotReport {
  plots: PlotFile[];
  /** The self-contained HTML report: every plot inline, the table, no script, no server. */
  html: string;
}

type Datum = Record<string, number | string>;

const PLOTTING = ['vega', 'vega-lite'];
const NEEDED_BY = 'plotting';

/**
 * Refuses, naming what to install, when the plotting stack is missing: for callers that plot after
 * long work (`sweep --plot`), to say so before that work starts.
 */
export const requirePlotting = (): void => requirePeers(NEEDED_BY, PLOTTING);

type Vega = [typeof import('vega'), typeof import('vega-lite')];

function data(rows: readonly CsvRow[]): Datum[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== '').map(([k, v]) => [k, NUMERIC_COLUMNS.has(k) ? Number(v) : v])));
}

const q = (field: string, title: string, extra: Record<string, unknown> = {}) => ({ field, type: 'quantitative' as const, title, ...extra });
const o = (field: string, title: string) => ({ field, type: 'ordinal' as const, title });
const PERCENT = { axis: { format: '.1~%' } };
const LATENCIES = ['write_p50_ms', 'write_p95_ms', 'write_p99_ms', 'read_p50_ms', 'read_p95_ms', 'read_p99_ms'];

/** The sweep's four views: failure rate, throughput, latency percentiles, heatmap. */
function sweepSpecs(values: Datum[]): [name: string, title: string, spec: TopLevelSpec][] {
  const facet = { column: o('num_writers', 'writers') };
  return [
    [
      'failure-rate',
      'Precondition failure rate vs writer rate, per key overlap',
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          ...facet,
          x: q('writer_rate', 'writer rate (ops/s per writer)'),
          y: { ...q('precondition_failure_rate', 'precondition failure rate', PERCENT), aggregate: 'mean' },
          color: o('key_overlap_ratio', 'key overlap'),
        },
      },
    ],
    [
      'throughput',
      'Committed writes and reads per second',
      {
        data: { values },
        transform: [{ fold: ['write_tps', 'read_tps'], as: ['metric', 'ops'] }],
        mark: { type: 'line', point: true },
        encoding: {
          column: { field: 'metric', type: 'nominal', title: null },
          x: q('writer_rate', 'writer rate (ops/s per writer)'),
          y: { ...q('ops', 'ops/s'), aggregate: 'mean' },
          color: o('num_writers', 'writers'),
        },
        resolve: { scale: { y: 'independent' } },
      },
    ],
    [
      'latency',
      'Latency percentiles (ms)',
      {
        data: { values },
        transform: [{ fold: LATENCIES, as: ['percentile', 'ms'] }],
        mark: { type: 'line', point: true },
        encoding: {
          ...facet,
          x: q('writer_rate', 'writer rate (ops/s per writer)'),
          y: { ...q('ms', 'ms', { scale: { type: 'symlog' } }), aggregate: 'mean' },
          color: { field: 'percentile', type: 'nominal', title: 'percentile' },
        },
      },
    ],
    [
      'heatmap',
      'Failure rate by writer rate and key overlap',
      {
        data: { values },
        facet: { column: o('num_writers', 'writers') },
        spec: {
          width: { step: 56 },
          height: { step: 32 },
          encoding: { x: o('writer_rate', 'writer rate'), y: o('key_overlap_ratio', 'key overlap') },
          layer: [
            { mark: 'rect', encoding: { color: { ...q('precondition_failure_rate', 'failure rate', { legend: { format: '.1~%' } }), aggregate: 'mean', scale: { scheme: 'orangered' } } } },
            { mark: { type: 'text', fontSize: 10 }, encoding: { text: { ...q('precondition_failure_rate', 'failure rate'), aggregate: 'mean', format: '.1%' } } },
          ],
        },
      } as TopLevelSpec,
    ],
  ];
}

/** The chaos panel: each scenario against the baseline. */
function chaosSpec(values: Datum[]): TopLevelSpec {
  const base = values.find((v) => v.scenario === 'baseline') ?? values[0]!;
  const ratio = (v: Datum, k: string): number => (Number(base[k]) > 0 ? Number(v[k]) / Number(base[k]) : 0);
  const degraded = values.map((v) => ({
    ...v,
    'write tps': ratio(v, 'write_tps'),
    'read tps': ratio(v, 'read_tps'),
    'write p99': ratio(v, 'write_p99_ms'),
    'read p99': ratio(v, 'read_p99_ms'),
  }));
  const bar = (field: string, title: string, extra: Record<string, unknown> = {}) => ({
    mark: 'bar' as const,
    encoding: { x: { field: 'scenario', type: 'nominal' as const, sort: null, title: null }, y: q(field, title, extra), color: { field: 'isolation_ok', type: 'nominal' as const, title: 'isolation held', scale: { domain: ['true', 'false'], range: ['#4c9a5a', '#d62728'] } } },
    width: 220,
    height: 160,
  });
  return {
    data: { values: degraded },
    hconcat: [
      bar('precondition_failure_rate', 'precondition failure rate', PERCENT),
      {
        transform: [{ fold: ['write tps', 'read tps', 'write p99', 'read p99'], as: ['metric', 'x baseline'] }],
        mark: 'bar',
        encoding: {
          x: { field: 'scenario', type: 'nominal', sort: null, title: null },
          xOffset: { field: 'metric', type: 'nominal' },
          y: q('x baseline', '× baseline', { scale: { type: 'symlog' } }),
          color: { field: 'metric', type: 'nominal', title: 'against baseline' },
        },
        width: 320,
        height: 160,
      },
      bar('write_p99_ms', 'write p99 (ms)'),
    ],
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

function chaosLatencySpec(values: Datum[]): TopLevelSpec {
  return {
    data: { values },
    transform: [{ fold: LATENCIES, as: ['percentile', 'ms'] }],
    mark: 'bar',
    encoding: {
      x: { field: 'scenario', type: 'nominal', sort: null, title: null },
      xOffset: { field: 'percentile', type: 'nominal' },
      y: q('ms', 'ms', { scale: { type: 'symlog' } }),
      color: { field: 'percentile', type: 'nominal', title: 'percentile' },
    },
    width: 480,
    height: 200,
  };
}

async function render([vega, vl]: Vega, spec: TopLevelSpec, title: string): Promise<string> {
  const compiled = vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, ...spec } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function htmlReport(title: string, rows: readonly CsvRow[], plots: PlotFile[]): string {
  const shown = [...FUSIO_COLUMNS.filter((c) => c !== 'config_label'), 'scenario', 'isolation_ok', 'isolation_violations'] as const;
  const table = [
    `<tr><th>config_label</th>${shown.map((c) => `<th>${c}</th>`).join('')}</tr>`,
    ...rows.map((r) => `<tr class="${r.isolation_ok === 'false' ? 'bad' : ''}"><td>${escape(r.config_label)}</td>${shown.map((c) => `<td>${escape(r[c])}</td>`).join('')}</tr>`),
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
figure{margin:1.5em 0}figcaption{font-weight:600;margin-bottom:.4em}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f3f3f3;position:sticky;top:0}tr.bad td{background:#fdd}
</style></head><body>
<h1>${escape(title)}</h1>
<p>${counted(rows.length, 'run')}; isolation held in ${rows.filter((r) => r.isolation_ok !== 'false').length}.</p>
${plots.map((p) => `<figure><figcaption>${escape(p.title)}</figcaption>\n${p.svg.replace(/^<\?xml[^>]*>/, '')}\n</figure>`).join('\n')}
<h2>Results</h2>
<div style="overflow:auto"><table>
${table}
</table></div>
</body></html>
`;
}

/**
 * Renders the plots of a workload CSV to SVG files in `outDir` (vega-lite, headless) and writes
 * `report.html` beside them. Sweep rows give the failure-rate, throughput, latency and heatmap
 * views; rows of more than one chaos scenario give the degradation panel. Without vega and vega-lite
 * installed it refuses (MissingPeerError) before writing anything.
 */
export async function plotResults(rows: readonly CsvRow[], outDir: string, title = 'contend workload report'): Promise<PlotReport> {
  requireRows(rows);
  const stack = await importPeer(PLOTTING, NEEDED_BY, () => Promise.all([import('vega'), import('vega-lite')]));
  const values = data(rows);
  const scenarios = new Set(values.map((v) => v.scenario ?? 'baseline'));
  const specs: [string, string, TopLevelSpec][] = [];
  const baseline = values.filter((v) => (v.scenario ?? 'baseline') === 'baseline');
  if (scenarios.size > 1) {
    specs.push(['chaos', 'Chaos: each scenario against the baseline', chaosSpec(values)]);
    specs.push(['chaos-latency', 'Latency percentiles per scenario (ms)', chaosLatencySpec(values)]);
  } else specs.push(...sweepSpecs(baseline));
  makeOutputDirectory('plot', outDir);
  const plots: PlotFile[] = [];
  for (const [name, plotTitle, spec] of specs) {
    const svg = await render(stack, spec, plotTitle);
    const path = join(outDir, `${name}.svg`);
    await writeOutput('plot', path, svg);
    plots.push({ name, title: plotTitle, path, svg });
  }
  const html = htmlReport(title, rows, plots);
  await writeOutput('plot', join(outDir, 'report.html'), html);
  return { plots, html };
}
