// Reads vitest's JSON report and fails unless every test ran and passed: a suite that is green only
// because tests were skipped proves nothing. Usage: node .ci/check-report.mjs REPORT.json
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node .ci/check-report.mjs REPORT.json');
  process.exit(2);
}

let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`ci: no readable vitest report at ${file} (${e.message}): the test run did not finish`);
  process.exit(1);
}

const { numTotalTests, numPassedTests, numFailedTests, numPendingTests, numTodoTests, numFailedTestSuites } = report;
console.log(
  `ci: ${numTotalTests} tests: ${numPassedTests} passed, ${numFailedTests} failed, ` +
    `${numPendingTests} skipped, ${numTodoTests} todo; ${numFailedTestSuites} test files failed`,
);

const notRun = [];
for (const suite of report.testResults ?? []) {
  for (const t of suite.assertionResults ?? []) {
    if (t.status !== 'passed' && t.status !== 'failed') notRun.push(`  ${t.status}: ${t.fullName} (${suite.name})`);
  }
}
if (notRun.length > 0) console.error(`ci: tests that did not run:\n${notRun.join('\n')}`);

const problems = [];
if (report.success !== true) problems.push('the run did not succeed');
if (numFailedTests > 0 || numFailedTestSuites > 0) problems.push('tests failed');
if (numPendingTests > 0 || numTodoTests > 0) problems.push('tests were skipped (CI runs every test: nothing may skip)');
if (numTotalTests === 0) problems.push('no tests ran');
if (problems.length > 0) {
  console.error(`ci: FAILED: ${problems.join('; ')}`);
  process.exit(1);
}
console.log('ci: every test ran and passed');
