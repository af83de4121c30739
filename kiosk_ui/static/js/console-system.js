// The recognition workers of the server that answers (GET /api/system/recognition), every 5 s:
// how many calls each pool has in hand and queued, how many it refused as busy, and how long
// recent calls took. Staff see when faces or spoken questions are waiting on the cores.
(function () {
  "use strict";
  const C = window.SummitConsole;
  const W = {
    faces: ["人脸识别", "Faces"],
    speech: ["语音问答", "Spoken questions"],
    in_process: ["本服务进程自身线程（开发模式，无工作进程池）", "In the server's own threads (development mode, no worker pool)"],
    starting: ["启动中（正在加载模型）", "Starting (loading models)"],
    server: ["服务进程 {0}（编号 {1}）", "Server {0} (process {1})"],
    none: ["—", "—"],
    failed: ["无法读取识别服务状态", "Could not read the recognition workers' state"],
    engines: ["人脸：{0}；摄像头画面：{1}。语音降噪：{2}；声学模型：{3}；第二识别器：{4}。",
      "Faces: {0}; camera frames: {1}. Speech noise: {2}; acoustic model: {3}; second recogniser: {4}."],
  };
  // The engines in use, in words (GET /api/system/recognition gives their codes).
  const NAMES = {
    mobilefacenet: ["MobileFaceNet 特征", "MobileFaceNet vectors"],
    dlib: ["dlib（face_recognition）特征", "dlib (face_recognition) vectors"],
    blazeface: ["BlazeFace 检测", "searched by BlazeFace"],
    hog: ["dlib HOG 检测", "searched by dlib's HOG"],
    auto: ["自动（安静或语音清晰时不处理，稳定噪声用 RNNoise，人声嘈杂时用学习的人声掩码）",
      "automatic (untouched in quiet rooms or for a clear voice, RNNoise in steady noise, a learned babble mask in crowd noise)"],
    "auto-subtract": ["自动（安静或语音清晰时不处理，稳定噪声用 RNNoise，人声嘈杂时用谱减法）",
      "automatic (untouched in quiet rooms or for a clear voice, RNNoise in steady noise, spectral subtraction in crowd noise)"],
    rnnoise: ["RNNoise", "RNNoise"],
    mask: ["学习的人声掩码", "learned babble mask"],
    subtract: ["谱减法", "spectral subtraction"],
    off: ["关闭", "off"],
    kiosk: ["已针对自助机环境适配", "adapted to the kiosk"],
    custom: ["本会议自定义适配", "this summit's own adaptation"],
    missing: ["适配文件缺失，英语语音无法识别", "adaptation file missing: English speech cannot be heard"],
    moonshine: ["Moonshine tiny（与 PocketSphinx 共同判断，嘈杂时更可靠）",
      "Moonshine tiny (decides with PocketSphinx; holds up better in crowds)"],
    not_installed: ["未安装（仅 PocketSphinx）", "not installed (PocketSphinx alone)"],
    moonshine_missing: ["模型文件缺失，英语语音无法识别", "model files missing: English speech cannot be heard"],
  };
  const t = (key, ...args) => window.Summit.t(W[key], ...args);
  const named = (code) => (NAMES[code] ? window.Summit.t(NAMES[code]) : t("none"));
  let last = null;

  const ms = (v) => (v === null || v === undefined ? t("none") : `${Math.round(v)} ms`);

  function row(name, pool) {
    if (!pool) return [t(name), t("in_process"), "", "", "", "", ""];
    const state = pool.purpose === "faces" && !pool.installed ? ` · ${t("starting")}` : "";
    return [
      t(name) + state,
      `${pool.workers} · nice ${pool.nice}`,
      `${pool.in_hand} / ${pool.limit}`,
      String(pool.queued),
      String(pool.refused_busy),
      `${ms(pool.latency_ms.p50)} / ${ms(pool.latency_ms.p95)}`,
      ms(pool.compute_ms.p50),
    ];
  }

  function show() {
    const status = document.getElementById("system-status");
    if (!last) return;
    status.textContent = t("server", last.server.split("/")[0] || "?", last.pid);
    document.getElementById("system-engines").textContent = t(
      "engines",
      named(last.face.engine),
      named(last.face.camera_detector),
      named(last.speech.denoise),
      named(last.speech.acoustic),
      named(last.speech.second),
    );
    C.fillTable(document.querySelector("#system tbody"), [
      row("faces", last.pool),
      row("speech", last.speech_pool),
    ]);
  }

  async function load() {
    try {
      last = await C.api("/api/system/recognition");
      show();
    } catch (err) {
      document.getElementById("system-status").textContent = t("failed");
    }
    setTimeout(load, document.hidden ? 30000 : 5000);
  }

  document.addEventListener("console:lang", show);
  load();
})();
