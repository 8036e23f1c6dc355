import type { PaymentMethod } from '../domain/payment-methods.js';
import type { ProviderFactory } from './provider-registry.js';

/**
 * What a real provider brings besides its adapter: how an operator configures it for a
 * wallet (`latipay provider set WALLET_ID <cliName> --flag … [--json]`, and later the
 * portal), how the settings split into what may be shown and what is sealed, and how
 * `provider show` describes them without a secret.
 */
export interface ProviderModule {
  /** The provider's name, stored on accounts and attempts: `wechatpay`, `antom`. */
  readonly name: string;
  /** The word operators use on the command line: `wechat`, `alipay`. */
  readonly cliName: string;
  /** The wallet methods an account of this provider serves. */
  readonly methods: readonly PaymentMethod[];
  /** The command-line options of `provider set`, in the order `--help` lists them. */
  readonly options: readonly ProviderOption[];
  /**
   * Checks the operator's settings (flag name → value; for a `file` option, the file's
   * contents) and splits them into the account's `config` (not secret) and `secrets`
   * (sealed at rest, never shown). Throws ProviderSettingsError naming the flag.
   */
  parseSettings(settings: Readonly<Record<string, string | undefined>>): { config: Record<string, unknown>; secrets: Record<string, string> };
  /** What `provider show` prints of an account: ids, base URL, key fingerprints; never a secret. */
  describe(config: Readonly<Record<string, unknown>>, secrets: Readonly<Record<string, string>>): Record<string, string>;
  /** Builds the adapter of one account. */
  readonly create: ProviderFactory;
}

export interface ProviderOption {
  /** The flag without dashes: `mchid`, `private-key-file`. */
  readonly flag: string;
  readonly description: string;
  readonly required: boolean;
  /** The value names a file whose contents are the setting (secrets never come from arguments). */
  readonly file?: boolean;
}

/** Settings an operator gave that cannot be used (the CLI prints it and exits 1). */
export class ProviderSettingsError extends Error {
  constructor(flag: string, problem: string) {
    super(`--${flag} ${problem}`);
    this.name = 'ProviderSettingsError';
  }
}

/** The flags a `provider set` was given, by flag name (`client-id`). */
export type Settings = Readonly<Record<string, string | undefined>>;

/** A flag's value, trimmed; undefined when absent or empty. */
export function value(settings: Settings, flag: string): string | undefined {
  const v = settings[flag]?.trim();
  return v === '' ? undefined : v;
}

/** A flag's value, or ProviderSettingsError naming it. */
export function need(settings: Settings, flag: string): string {
  const v = value(settings, flag);
  if (v === undefined) throw new ProviderSettingsError(flag, 'is required');
  return v;
}
