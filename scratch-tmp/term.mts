import { verificationOutput } from '../src/ui/render.ts';
import { verificationFixture } from '../test/fixtures/ui/contracts.ts';
process.stdout.write(verificationOutput(verificationFixture, { color: false, interactive: process.argv[2] === 'ink', columns: 100 }));
