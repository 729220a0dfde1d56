// The layer and cycle rules of eslint.config.js, proven on planted mistakes: each case lints a real file of src/ with
// one bad import added (in memory: nothing is written), and the same file as it is. If a config change (a resolver
// setting, a zone path) silently switched a rule off, the planted case would pass and this test fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Plant {
  what: string;
  file: string;
  /** Appended to the file's own text. */
  add: string;
  rule: string;
}

const PLANTS: Plant[] = [
  {
    what: 'a two-file cycle: a progress part imports the module that composes it',
    file: 'src/kruise/progress/readers.ts',
    add: "import { buildProgress } from '../progress';\nexport const planted = buildProgress;\n",
    rule: 'import-x/no-cycle',
  },
  {
    what: 'a longer cycle: duration.ts -> progress.ts -> progress/summary.ts -> duration.ts',
    file: 'src/kruise/duration.ts',
    add: "import { track } from './progress';\nexport const planted = track;\n",
    rule: 'import-x/no-cycle',
  },
  { what: 'kruise/ importing kube/', file: 'src/kruise/duration.ts', add: "import { KubeClient } from '../kube/client';\nexport const planted = KubeClient;\n", rule: 'import-x/no-restricted-paths' },
  { what: 'kruise/ importing ui/', file: 'src/kruise/record.ts', add: "import { paint } from '../ui/color';\nexport const planted = paint;\n", rule: 'import-x/no-restricted-paths' },
  { what: 'kube/ importing cli/', file: 'src/kube/retry.ts', add: "import * as cli from '../cli/errors';\nexport const planted = cli;\n", rule: 'import-x/no-restricted-paths' },
  { what: 'ui/ importing commands/', file: 'src/ui/color.ts', add: "import * as common from '../commands/common';\nexport const planted = common;\n", rule: 'import-x/no-restricted-paths' },
  { what: 'a command importing the parser', file: 'src/commands/version.ts', add: "import * as program from '../cli/program';\nexport const planted = program;\n", rule: 'import-x/no-restricted-paths' },
  // Installed only because the client library depends on it: imported, it would vanish with the library's next major.
  { what: 'a package that is installed but not declared', file: 'src/kube/retry.ts', add: "import FormData from 'form-data';\nexport const planted = FormData;\n", rule: 'import-x/no-extraneous-dependencies' },
  { what: 'a devDependency in shipped code', file: 'src/kruise/duration.ts', add: "import { Mocha } from 'mocha';\nexport const planted = Mocha;\n", rule: 'import-x/no-extraneous-dependencies' },
  { what: "a package's private path", file: 'src/kube/retry.ts', add: "import * as config from '@kubernetes/client-node/dist/config.js';\nexport const planted = config;\n", rule: 'no-restricted-imports' },
];

describe('layers: the lint rules catch planted mistakes', function () {
  // Following imports across src/ takes a few seconds per file on a busy machine.
  this.timeout(300_000);
  const eslint = new ESLint({ cwd: ROOT });
  const rulesHit = async (file: string, text: string) => {
    const [result] = await eslint.lintText(text, { filePath: join(ROOT, file) });
    return result.messages.map((m) => m.ruleId ?? m.message);
  };

  for (const plant of PLANTS) {
    it(`${plant.what}: ${plant.rule}`, async () => {
      const text = readFileSync(join(ROOT, plant.file), 'utf8');
      assert.ok(!(await rulesHit(plant.file, text)).includes(plant.rule), `${plant.file} as it is already breaks ${plant.rule}`);
      const planted = await rulesHit(plant.file, `${text}\n${plant.add}`);
      assert.ok(planted.includes(plant.rule), `planted in ${plant.file}, expected ${plant.rule}, got ${JSON.stringify(planted)}`);
    });
  }
});
