import { writeReport } from '../src/report/write-report.ts';
import { profileFixture, recommendationFixture, verificationFixture } from '../test/fixtures/ui/contracts.ts';
import { rm } from 'node:fs/promises';
await rm('/tmp/glance/out', { recursive: true, force: true });
const { mkdir } = await import('node:fs/promises'); await mkdir('/tmp/glance/out');
const w = await writeReport('/tmp/glance/out', { profile: profileFixture, recommendation: recommendationFixture, verification: verificationFixture });
console.log(w);
