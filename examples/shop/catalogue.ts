/** What the demo shop sells. Prices are integer cents (never floats), in the wallet's currency. */
export interface Product {
  sku: string;
  name: string;
  blurb: string;
  priceMinor: number;
  /** Colours of the product's picture (a CSS gradient, so the demo ships no images). */
  colours: [string, string];
}

export const CATALOGUE: readonly Product[] = [
  {
    sku: 'pinot',
    name: 'Pinot Noir, Central Otago 2021',
    blurb: 'Dark cherry, thyme and a long, silky finish from the southernmost wine region on earth.',
    priceMinor: 4200,
    colours: ['#6d1a36', '#b23a5b'],
  },
  {
    sku: 'honey',
    name: 'Mānuka honey UMF 10+, 250 g',
    blurb: 'Creamy, earthy mānuka honey from the East Cape, tested and certified.',
    priceMinor: 2950,
    colours: ['#c98a12', '#f2c14e'],
  },
  {
    sku: 'beans',
    name: 'Flat white coffee beans, 1 kg',
    blurb: 'A chocolatey espresso blend roasted in Wellington for milk-based coffee.',
    priceMinor: 3600,
    colours: ['#3b2416', '#8a5a3b'],
  },
];

export function findProduct(sku: string): Product | undefined {
  return CATALOGUE.find((product) => product.sku === sku);
}

/** `4200` → `"42.00"`: the wire's amount format, computed on integers. */
export function formatMinor(minor: number): string {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
}
