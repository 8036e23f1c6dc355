import { ANTOM_MODULE } from './antom/antom-module.js';
import type { ProviderModule } from './provider-module.js';
import type { ProviderFactory } from './provider-registry.js';
import { WECHATPAY_MODULE } from './wechatpay/wechatpay-module.js';

/**
 * The real providers this gateway has adapters for. Adding one is adding its module here;
 * nothing above the provider interface changes.
 */
export const PROVIDER_MODULES: readonly ProviderModule[] = [WECHATPAY_MODULE, ANTOM_MODULE];

/** The adapters by provider name, for the registry. */
export function providerFactories(modules: readonly ProviderModule[] = PROVIDER_MODULES): ReadonlyMap<string, ProviderFactory> {
  return new Map(modules.map((m) => [m.name, m.create]));
}

/** The module an operator names on the command line (`wechat`) or by provider name (`wechatpay`). */
export function findProviderModule(name: string, modules: readonly ProviderModule[] = PROVIDER_MODULES): ProviderModule | undefined {
  return modules.find((m) => m.cliName === name || m.name === name);
}
