/** Reading the portal's figures out of its HTML, for the dashboard and balance tests. */

/** The texts of the cells (th and td) of the table row `data-test="<name>"`, tags stripped; undefined when there is no such row. */
export function cellsOf(body: string, name: string): string[] | undefined {
  const row = new RegExp(`<tr data-test="${name}">(.*?)</tr>`, 's').exec(body);
  if (!row) return undefined;
  return [...row[1].matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/gs)].map((m) => m[1].replace(/<[^>]+>/g, '').trim());
}

/** The element `data-test="<name>"` of the given tag, whole; undefined when absent. */
export function elementOf(body: string, tag: string, name: string): string | undefined {
  return new RegExp(`<${tag}[^>]*data-test="${name}"[^>]*>.*?</${tag}>`, 's').exec(body)?.[0];
}

/** The data-value of each bar of an SVG chart. */
export function barValuesOf(svg: string): number[] {
  return [...svg.matchAll(/<rect [^>]*data-value="(\d+)"/g)].map((m) => Number(m[1]));
}
