/** Training progress bar with ETA on stderr (cli-progress). */
import cliProgress from 'cli-progress';

export class Progress {
  private readonly bar: cliProgress.SingleBar;

  constructor(total: number, private readonly epochs: number) {
    this.bar = new cliProgress.SingleBar(
      { format: 'train |{bar}| {percentage}% | epoch {epoch}/{epochs} | loss {loss} | ETA {eta_formatted}', stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { epoch: 0, epochs, loss: '-' });
  }

  tick(epoch: number, loss: number): void {
    this.bar.increment(1, { epoch, epochs: this.epochs, loss: loss.toFixed(4) });
  }

  stop(): void {
    this.bar.stop();
  }
}
