/** What the WeCom client logs through. Every method is optional; fields never hold a credential. */
export interface WeComLogger {
  debug?(msg: string, fields?: Record<string, unknown>): void;
  warn?(msg: string, fields?: Record<string, unknown>): void;
  error?(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: WeComLogger = {};
