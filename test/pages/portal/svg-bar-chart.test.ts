import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { niceScale, renderBarList, renderColumnChart } from '../../../src/pages/portal/svg-bar-chart.js';

describe('niceScale', () => {
  test('a step of 1, 2 or 5 × 10^k whose ticks reach the largest value, with little room to spare', () => {
    assert.deepEqual(niceScale(0, 4), { step: 1, top: 4 });
    assert.deepEqual(niceScale(100_000, 4), { step: 50_000, top: 200_000 });
    assert.deepEqual(niceScale(16_150, 4), { step: 5_000, top: 20_000 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000_000 }), fc.integer({ min: 1, max: 10 }), (max, ticks) => {
        const { step, top } = niceScale(max, ticks);
        assert.ok(top >= max && top === step * ticks);
        assert.match(String(step), /^[125]0*$/);
        // One step smaller would not reach: at most 2.5 times what is needed.
        assert.ok(step <= Math.max(1, Math.ceil(max / ticks)) * 2.5);
      }),
    );
  });
});

describe('the charts', () => {
  test('text is escaped, bars are drawn only for values above zero, heights follow the values', () => {
    const svg = renderColumnChart({
      id: 'c',
      title: 'A <b>',
      summary: '"quoted" & more',
      formatTick: String,
      columns: [
        { value: 0, tooltip: 'zero' },
        { value: 50, tooltip: '<script>', label: 'x' },
        { value: 100, tooltip: 'full' },
      ],
    }).value;
    // Two drawings, for a wide screen and for a phone.
    assert.deepEqual([...svg.matchAll(/<svg class="([^"]+)"/g)].map((m) => m[1]), ['chart chart-wide', 'chart chart-narrow']);
    assert.match(svg, /<title id="c-title">A &lt;b&gt;<\/title><desc id="c-desc">&quot;quoted&quot; &amp; more<\/desc>/);
    assert.doesNotMatch(svg, /<script>|style=/);
    const heights = [...svg.slice(0, svg.indexOf('</svg>')).matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.equal(heights.length, 2);
    assert.ok(Math.abs(heights[1] - 2 * heights[0]) < 0.2, `${heights}`);
  });

  test('a bar list writes each value beside its bar', () => {
    const svg = renderBarList({ id: 'm', title: 't', summary: 's', rows: [{ label: 'Alipay', value: 300, valueText: '3.00 NZD' }, { label: 'WeChat Pay', value: 0, valueText: '0.00 NZD' }] }).value;
    assert.match(svg, /role="img" aria-labelledby="m-title m-desc"/);
    assert.equal((svg.match(/<rect /g) ?? []).length, 2, 'one bar in each drawing');
    assert.match(svg, />Alipay<\/text>.*>3.00 NZD<\/text>.*>WeChat Pay<\/text>.*>0.00 NZD<\/text>/s);
  });
});
