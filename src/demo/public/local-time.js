// Shows each <time data-local-time datetime="…"> of a demo page in the reader's own time zone.
// The server cannot know that zone, so the page carries the time in UTC, readable without this
// script, and the browser rewrites it. It is a file served by the demo itself (GET
// /demo/local-time.js): helmet's default CSP (script-src 'self') runs it, and would block the
// same code inline.
/* global document */
const format = new Intl.DateTimeFormat('en-CA', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'shortOffset',
});
for (const element of document.querySelectorAll('time[data-local-time]')) {
  const utc = element.getAttribute('datetime') ?? '';
  const at = new Date(utc);
  if (Number.isNaN(at.getTime())) continue;
  const part = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  element.textContent = `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second} ${part.timeZoneName}`;
  element.title = utc;
}
