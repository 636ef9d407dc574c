/**
 * A request the client refuses to send because WeCom would refuse it, or would silently change it
 * (a card title cut short): thrown before any HTTP call, so nothing was sent. A TypeError, like
 * the client's other argument errors, with a `code` constant, the `api`, the `field` to fix and,
 * where WeCom names one, the errcode it would have answered
 * (https://developer.work.weixin.qq.com/document/path/90313).
 */
export const WECOM_INVALID_REQUEST = 'WECOM_INVALID_REQUEST';

export class WeComRequestError extends TypeError {
  readonly code: typeof WECOM_INVALID_REQUEST = WECOM_INVALID_REQUEST;
  /** The WeCom API the request was for, e.g. `message/send`. */
  readonly api: string;
  /** The field to fix, as a path into the input, e.g. `textcard.title`, `toUser`, `button[1].sub_button[0].url`. */
  readonly field: string;
  /** What WeCom would have answered, when it refuses such a request with an errcode. */
  readonly errcode: number | undefined;

  constructor(api: string, field: string, problem: string, errcode?: number) {
    super(`${api}: ${field} ${problem}${errcode === undefined ? '' : ` (WeCom would answer ${errcode})`}`);
    this.name = 'WeComRequestError';
    this.api = api;
    this.field = field;
    this.errcode = errcode;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, api: this.api, field: this.field, errcode: this.errcode, message: this.message };
  }
}
