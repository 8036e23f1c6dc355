'use strict';
// A plain JavaScript CommonJS consumer: `require` resolves latipay-sdk's "require" condition.
const sdk = require('latipay-sdk');
const { Latipay } = require('latipay-sdk');
const { runFlow } = require('./flow.cjs');

runFlow(sdk, process.env).then(
  (report) => console.log(JSON.stringify({ resolved: require.resolve('latipay-sdk'), namedImport: Latipay === sdk.Latipay, ...report })),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
