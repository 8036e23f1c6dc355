// A plain JavaScript ESM consumer: `import` resolves latipay-sdk's "import" condition.
import * as sdk from 'latipay-sdk';
import { Latipay } from 'latipay-sdk';
import { runFlow } from './flow.cjs';

const report = await runFlow(sdk, process.env);
console.log(JSON.stringify({ resolved: import.meta.resolve('latipay-sdk'), namedImport: Latipay === sdk.Latipay, ...report }));
