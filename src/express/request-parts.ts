/**
 * Small pieces every route of the middleware needs: the query string as the browser sent it, and
 * the fields of an error that are safe to log.
 */
import type { Request } from 'express';
import { WeComApiError, WeComHttpError } from '../wecom/index.ts';

/**
 * The query string as sent, parsed the same way under Express 4 and 5 (their parsers differ, and
 * repeated keys matter: a repeated `state` or `url` is refused, not silently picked).
 */
export function queryOf(req: Request): URLSearchParams {
  const url = req.originalUrl || req.url || '/';
  const q = url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
}

/**
 * Loggable fields of an error. The WeCom errors are already redacted; anything else gives its
 * name and code only (a message could quote a URL with a code or a token in it).
 */
export function logFields(err: unknown): Record<string, unknown> {
  if (err instanceof WeComApiError) return { error: err.name, errcode: err.errcode, api: err.api };
  if (err instanceof WeComHttpError) return { error: err.name, api: err.api, kind: err.kind, status: err.status };
  if (err instanceof Error) return { error: err.name, errorCode: (err as { code?: unknown }).code };
  return { error: typeof err };
}
