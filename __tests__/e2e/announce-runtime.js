/**
 * Global setup of the e2e jest projects (see jest.config.js; jest runs one global setup module once
 * even when several projects name it): says which Node binary runs the bundles in each project, so the
 * log of every run shows it.
 */
export default function announceRuntimes(_globalConfig, projectConfig) {
  for (const runtime of projectConfig.globals.e2eNodes) {
    process.stdout.write(
      `e2e-${runtime.name}: the bundles run with ${runtime.path} (${runtime.version}, ${runtime.role})\n`,
    );
  }
}
