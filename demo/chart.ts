// A small line chart of the training curves on a canvas: loss on the left axis, accuracy (0–100 %)
// on the right, one point per epoch. Redrawn whole on every update (a few dozen points).

export interface Series {
  label: string;
  color: string;
  axis: 'loss' | 'accuracy';
  dashed?: boolean;
  values: number[];
}

export function drawChart(canvas: HTMLCanvasElement, series: Series[], epochs: number): void {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d')!;
  ctx.scale(ratio, ratio);
  ctx.clearRect(0, 0, width, height);

  const pad = { left: 44, right: 46, top: 22, bottom: 28 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const losses = series.filter((s) => s.axis === 'loss').flatMap((s) => s.values);
  // Four grid steps shared by both axes: accuracy's are 25 %, the loss's a round number.
  const lossStep = roundUp(Math.max(0.5, ...losses) / 4);
  const maxLoss = 4 * lossStep;
  const x = (epoch: number) => pad.left + (plotW * epoch) / Math.max(1, epochs);
  const yLoss = (v: number) => pad.top + plotH * (1 - v / maxLoss);
  const yAcc = (v: number) => pad.top + plotH * (1 - v);

  ctx.font = '11px system-ui, sans-serif';
  ctx.lineWidth = 1;
  ctx.strokeStyle = '#e3e6ec';
  ctx.fillStyle = '#5c6475';
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + (plotH * i) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.left, y);
    ctx.lineTo(pad.left + plotW, y);
    ctx.stroke();
    ctx.textAlign = 'right';
    ctx.fillText(String(Number((lossStep * (4 - i)).toPrecision(3))), pad.left - 6, y + 4);
    ctx.textAlign = 'left';
    ctx.fillText(`${100 - i * 25}%`, pad.left + plotW + 6, y + 4);
  }
  ctx.textAlign = 'left';
  ctx.fillText('loss', 4, 11);
  ctx.textAlign = 'right';
  ctx.fillText('accuracy', width - 4, 11);
  ctx.textAlign = 'center';
  const step = Math.max(1, Math.ceil(epochs / 10));
  for (let e = 0; e <= epochs; e += step) ctx.fillText(String(e), x(e), height - 10);
  ctx.textAlign = 'left';
  ctx.fillText('epoch', 4, height - 10);

  for (const s of series) {
    if (s.values.length === 0) continue;
    const y = s.axis === 'loss' ? yLoss : yAcc;
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [5, 4] : []);
    ctx.beginPath();
    s.values.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i + 1), y(v)) : ctx.lineTo(x(i + 1), y(v))));
    ctx.stroke();
    ctx.setLineDash([]);
    s.values.forEach((v, i) => {
      ctx.beginPath();
      ctx.arc(x(i + 1), y(v), 2.5, 0, Math.PI * 2);
      ctx.fill();
    });
  }
}

/** The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least `value`. */
function roundUp(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((step) => step >= value * (1 - 1e-9))!;
}
