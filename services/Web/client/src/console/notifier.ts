// Tells an agent whose tab is in the background that a customer wrote: a short chime and a blinking title.

export class Notifier {
  private audio?: AudioContext;
  private blink?: ReturnType<typeof setInterval>;
  private readonly title = document.title;
  private waiting = 0;

  constructor() {
    // Browsers let a page make sound only after the person has interacted with it.
    const unlock = () => {
      this.audio ??= new AudioContext();
      void this.audio.resume();
    };
    addEventListener('pointerdown', unlock, { capture: true });
    addEventListener('keydown', unlock, { capture: true });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.clear();
    });
  }

  /** A new customer message: chime, and blink the title while the tab is hidden. */
  newMessage(from: string): void {
    this.chime();
    if (document.visibilityState === 'visible') return;
    this.waiting++;
    const alert = `(${this.waiting}) ${from}`;
    clearInterval(this.blink);
    let on = false;
    document.title = alert;
    this.blink = setInterval(() => {
      on = !on;
      document.title = on ? this.title : alert;
    }, 1000);
  }

  private clear(): void {
    clearInterval(this.blink);
    this.waiting = 0;
    document.title = this.title;
  }

  private chime(): void {
    const audio = this.audio;
    if (!audio || audio.state !== 'running') return;
    const now = audio.currentTime;
    for (const [i, frequency] of [880, 1320].entries()) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, now + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.25);
      tone.connect(gain).connect(audio.destination);
      tone.start(now + i * 0.12);
      tone.stop(now + i * 0.12 + 0.3);
    }
  }
}
