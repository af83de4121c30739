// Microphone capture for the kiosk assistant: the browser's rate down to 16 kHz mono 16-bit.
"use strict";
window.AssistantAudio = (function () {
  const TARGET = 16000;

  // Average-then-pick decimation: a box low-pass good enough for speech at 16 kHz.
  function downsample(input, rate) {
    const ratio = rate / TARGET;
    const out = new Int16Array(Math.floor(input.length / ratio));
    for (let i = 0; i < out.length; i++) {
      const start = Math.floor(i * ratio), end = Math.min(input.length, Math.floor((i + 1) * ratio));
      let sum = 0;
      for (let j = start; j < end; j++) sum += input[j];
      const v = Math.max(-1, Math.min(1, sum / Math.max(1, end - start)));
      out[i] = v < 0 ? v * 0x8000 : v * 0x7fff;
    }
    return out;
  }

  // Calls onChunk(ArrayBuffer of 16 kHz PCM) about every 100 ms; returns a stop function.
  async function start(onChunk) {
    // The raw microphone: the server's own noise front end (RNNoise, the babble masks) and its
    // loud-hall estimate were measured on unprocessed audio, and the browser's noise
    // suppression and automatic gain would change what they hear (a kiosk has no far end to
    // cancel echo from).
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, noiseSuppression: false, autoGainControl: false, echoCancellation: false },
    });
    const ctx = new AudioContext();
    const source = ctx.createMediaStreamSource(stream);
    const node = ctx.createScriptProcessor(4096, 1, 1);
    let pending = [];
    let pendingLength = 0;
    node.onaudioprocess = (e) => {
      const pcm = downsample(e.inputBuffer.getChannelData(0), ctx.sampleRate);
      pending.push(pcm);
      pendingLength += pcm.length;
      if (pendingLength >= TARGET / 10) {
        const joined = new Int16Array(pendingLength);
        let at = 0;
        for (const part of pending) { joined.set(part, at); at += part.length; }
        pending = []; pendingLength = 0;
        onChunk(joined.buffer);
      }
    };
    source.connect(node);
    node.connect(ctx.destination);
    return function stop() {
      node.disconnect(); source.disconnect();
      stream.getTracks().forEach((t) => t.stop());
      ctx.close();
    };
  }

  return { start };
})();
