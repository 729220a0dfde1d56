// The renderers of a RestartProgress: live table (terminal), lines (CI, pipes), documents (-o json|yaml).
export { colorEnabled, liveViewSupported, type ColorOptions } from './color';
export { formatDocument } from './document';
export { renderFrame, podsByAttention, type FrameOptions } from './frame';
export { LineReporter, summaryLine, type LineReporterOptions, type LineWriter } from './lines';
export { LiveView, systemScheduler, type LiveViewOptions, type Scheduler, type TerminalStream } from './live';
export { displayWidth, stripAnsi, truncateEnd, truncateMiddle } from './text';
