package io.ringtrain.kernels;

import java.util.concurrent.Semaphore;

/**
 * A fixed set of threads created once. {@link #run} hands the same task to every thread (the
 * caller is thread 0) and returns when all have finished; each thread picks its share of the work
 * from its index, so the partition (and hence every sum's order) depends only on the sizes and the
 * thread count. One task at a time: a backend is driven by one training thread.
 */
final class WorkerPool implements AutoCloseable {

  /** Work for thread {@code tid} of {@code nThreads}. */
  interface Task {
    void run(int tid, int nThreads);
  }

  private final int nThreads;
  private final Thread[] workers;
  private final Semaphore[] go;
  private final Semaphore done = new Semaphore(0);
  private volatile Task task;
  private volatile Throwable failure;
  private volatile boolean closed;

  WorkerPool(int nThreads) {
    if (nThreads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + nThreads);
    }
    this.nThreads = nThreads;
    workers = new Thread[nThreads - 1];
    go = new Semaphore[nThreads - 1];
    for (int i = 0; i < workers.length; i++) {
      go[i] = new Semaphore(0);
      final int tid = i + 1;
      workers[i] = new Thread(() -> loop(tid), "ringtrain-kernel-" + tid);
      workers[i].setDaemon(true);
      workers[i].start();
    }
  }

  int threads() {
    return nThreads;
  }

  private void loop(int tid) {
    Semaphore mine = go[tid - 1];
    while (true) {
      mine.acquireUninterruptibly();
      if (closed) {
        return;
      }
      try {
        task.run(tid, nThreads);
      } catch (Throwable e) {
        failure = e;
      } finally {
        done.release();
      }
    }
  }

  void run(Task t) {
    if (closed) {
      throw new IllegalStateException("backend is closed");
    }
    if (nThreads == 1) {
      t.run(0, 1);
      return;
    }
    task = t;
    failure = null;
    for (Semaphore s : go) {
      s.release();
    }
    Throwable own = null;
    try {
      t.run(0, nThreads);
    } catch (Throwable e) {
      own = e;
    }
    done.acquireUninterruptibly(nThreads - 1);
    task = null;
    Throwable err = own != null ? own : failure;
    if (err instanceof RuntimeException re) {
      throw re;
    }
    if (err instanceof Error er) {
      throw er;
    }
    if (err != null) {
      throw new RuntimeException(err);
    }
  }

  /** Start of thread tid's share of [0, n) split into nThreads nearly equal parts. */
  static int split(int n, int tid, int nThreads) {
    return (int) ((long) n * tid / nThreads);
  }

  @Override
  public void close() {
    closed = true;
    for (Semaphore s : go) {
      s.release();
    }
  }
}
