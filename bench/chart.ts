// Renders bench results as an SVG bar chart (log scale, one group per shape × kernel), so the
// README's picture is generated from a run, never drawn by hand.

export interface ChartRow {
  shape: string;
  kernel: string;
  mes: Record<string, number | undefined>;
}

const COLORS: Record<string, string> = {
  probkernels: "#2563eb",
  "probkernels (zero-copy)": "#60a5fa",
  reference: "#9ca3af",
  "tfjs (op only)": "#f59e0b",
  "tfjs (with transfers)": "#fcd34d",
};

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function renderChart(rows: ChartRow[], impls: readonly string[], title: string, subtitle: string): string {
  const barH = 7,
    gap = 10,
    labelW = 230,
    plotW = 560,
    top = 70,
    right = 80;
  const groupH = impls.length * barH + gap;
  const height = top + rows.length * groupH + 40;
  const width = labelW + plotW + right;
  const values = rows.flatMap((r) => impls.map((i) => r.mes[i] ?? 0)).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const x = (v: number) => labelW + (plotW * Math.log10(v / lo)) / Math.log10(hi / lo);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<text x="10" y="37" fill="#374151">${escapeXml(subtitle)}</text>`);
  impls.forEach((impl, k) => {
    const lx = 10 + k * 170;
    out.push(`<rect x="${lx}" y="47" width="10" height="10" fill="${COLORS[impl] ?? "#000"}"/>`);
    out.push(`<text x="${lx + 14}" y="56">${escapeXml(impl)}</text>`);
  });
  for (let d = lo; d <= hi; d *= 10) {
    out.push(`<line x1="${x(d)}" y1="${top - 5}" x2="${x(d)}" y2="${height - 30}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${x(d)}" y="${height - 15}" text-anchor="middle" fill="#6b7280">${d}</text>`);
  }
  out.push(
    `<text x="${labelW + plotW / 2}" y="${height - 2}" text-anchor="middle" fill="#6b7280">million elements per second (log scale)</text>`,
  );
  rows.forEach((row, g) => {
    const y0 = top + g * groupH;
    out.push(
      `<text x="${labelW - 8}" y="${y0 + (impls.length * barH) / 2 + 4}" text-anchor="end">${escapeXml(`${row.shape} ${row.kernel}`)}</text>`,
    );
    impls.forEach((impl, k) => {
      const v = row.mes[impl];
      if (!v) return;
      const y = y0 + k * barH;
      out.push(
        `<rect x="${labelW}" y="${y}" width="${Math.max(1, x(v) - labelW).toFixed(1)}" height="${barH - 1}" fill="${COLORS[impl] ?? "#000"}"/>`,
      );
      out.push(
        `<text x="${(x(v) + 3).toFixed(1)}" y="${y + barH - 1}" font-size="7" fill="#374151">${v >= 100 ? v.toFixed(0) : v.toFixed(1)}</text>`,
      );
    });
  });
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}
