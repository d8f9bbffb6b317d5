// `myriad report`: reads tidy results (and an optional report bundle) from a results directory and writes one
// self-contained HTML report with SVG plots.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML report (inline SVG, no scripts) from tidy results')
    .requiredOption('--results <path>', 'results directory (results.json or results.csv, optional report-bundle.json; e.g. the --out of myriad score), or one such file')
    .option('--out <file>', 'HTML file to write', 'report.html')
    .option('--title <text>', 'page title (default: the bundle title)')
    .action(async (opts: { results: string; out: string; title?: string }) => {
      const { loadReportInput } = await import('../../report/bundle.ts');
      const { renderReport } = await import('../../report/html.ts');
      const { writeFileAtomic } = await import('../../report/results.ts');
      if (!opts.out.endsWith('.html') && !opts.out.endsWith('.htm')) {
        console.error(`myriad report: --out: expected a file name ending in .html, got '${opts.out}'`);
        process.exitCode = 1;
        return;
      }
      try {
        const input = loadReportInput(opts.results);
        const html = renderReport(input, { title: opts.title });
        writeFileAtomic(opts.out, html);
        console.log(`myriad report: wrote ${opts.out} (${input.results.length} results, ${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB)`);
      } catch (e) {
        // Input errors name the file, row and field; print them without a stack trace.
        console.error(`myriad report: ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });
}
