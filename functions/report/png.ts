import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CHART, FONT_FAMILY } from './chart-svg.js';

// SVG → PNG with resvg (Rust, shipped in npm platform packages: nothing downloaded at install).
// The Cloud Functions image may have no fonts at all, so the PNG's font is shipped and loaded
// explicitly, and the system's are not looked at: the picture is the same on every machine.

/** The font files, by the name the function bundle gives them (scripts/bundle.ts copies them to fonts/). */
export const FONT_FILES = ['Inter_400Regular.ttf', 'Inter_700Bold.ttf'] as const;
const PACKAGE_PATHS: Record<(typeof FONT_FILES)[number], string> = {
  'Inter_400Regular.ttf': '@expo-google-fonts/inter/400Regular/Inter_400Regular.ttf',
  'Inter_700Bold.ttf': '@expo-google-fonts/inter/700Bold/Inter_700Bold.ttf',
};

/** Beside the bundle's chunks in the function; from the npm package in the repository. */
export function fontFiles(): string[] {
  const require = createRequire(import.meta.url);
  return FONT_FILES.map((name) => {
    const bundled = fileURLToPath(new URL(`./fonts/${name}`, import.meta.url));
    return existsSync(bundled) ? bundled : require.resolve(PACKAGE_PATHS[name]);
  });
}

export async function svgToPng(svg: string, opts: { scale?: number } = {}): Promise<Buffer> {
  // require(), not import(): the artifact's bundles run under vm.Script, which has no dynamic import.
  const { Resvg } = createRequire(import.meta.url)('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: fontFiles(), defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: 'width', value: Math.round(CHART.width * (opts.scale ?? 1)) },
    background: '#ffffff',
  });
  return resvg.render().asPng();
}
