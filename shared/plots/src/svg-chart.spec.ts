import { ecdfChart, histogramChart, lineChart } from './svg-chart';
import { htmlReport } from './html-report';

describe('svg charts', () => {
  it('draws a line chart with a threshold line and escapes labels', () => {
    const svg = lineChart([{ name: 'log-wealth <a&b>', points: [[0, 0], [100, 1.5], [200, 3.2]] }], {
      title: 'Audit',
      xLabel: 'samples',
      yLabel: 'log wealth',
      hLines: [{ y: Math.log(20), label: 'log(1/α)' }],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('log-wealth &lt;a&amp;b&gt;');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).not.toContain('NaN');
  });

  it('histograms normalise to densities and ignore non-finite values', () => {
    const svg = histogramChart(
      [
        { name: 'in-domain', values: [0, 1, 1, 2, Number.NaN] },
        { name: 'out-of-domain', values: [3, 4, 5] },
      ],
      { title: 'ratios', xLabel: 'x', yLabel: 'density', bins: 5 },
    );
    expect(svg).toContain('in-domain (n=4)');
    expect(svg).not.toContain('NaN');
  });

  it('ecdf ends at 1 and html embeds figures', () => {
    const svg = ecdfChart([{ name: 'a', values: [3, 1, 2] }], { title: 't', xLabel: 'x', yLabel: 'F' });
    const page = htmlReport('Report', { auroc: 0.93456789 }, [{ caption: 'cdf', svg }]);
    expect(page).toContain('<figure><svg');
    expect(page).toContain('0.934568');
  });
});
