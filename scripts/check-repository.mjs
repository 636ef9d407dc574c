/**
 * `prepublishOnly`: refuses to publish while package.json's repository, homepage and bugs still
 * name the placeholder owner (https://github.com/OWNER/...). npm's page takes its links from them
 * and resolves the README's relative links against `repository`, so a package published with the
 * placeholder would link every docs/ page to a repository that does not exist.
 *
 * `node scripts/check-repository.mjs [dir]` (default: the repository's root). Plain JavaScript.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const PLACEHOLDER = 'github.com/OWNER/';
const dir = process.argv[2] || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
const fields = { 'repository.url': manifest.repository?.url, homepage: manifest.homepage, 'bugs.url': manifest.bugs?.url };
const placeholders = Object.entries(fields).filter(([, value]) => typeof value === 'string' && value.includes(PLACEHOLDER));
if (placeholders.length > 0) {
  process.stderr.write(
    `express-wecom-auth: package.json still names the placeholder repository (${placeholders.map(([k]) => k).join(', ')}): ` +
      'replace OWNER with the GitHub owner in repository, homepage and bugs before publishing.\n',
  );
  process.exit(1);
}
