// Two-thread team of the iterative eigensolver (see include/cbk_team.h).
#include "cbk_team.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

// How long the worker spins for the next task before it parks: the solver issues one every 20-500 us between its
// Rayleigh-Ritz steps (up to ~1 ms, serial); a worker parked meanwhile is woken, or the caller runs part 1 itself.
// Kept short so that a spinning worker takes little from other processes on a busy machine.
#define CBK_TEAM_SPIN_NS 50000L

struct cbk_team {
  pthread_t thread;
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  _Atomic long issued;    // number of tasks issued
  _Atomic long claimed;   // number of tasks whose part 1 has been taken (by the worker or the caller)
  _Atomic long finished;  // number of tasks whose part 1 has returned on the worker
  _Atomic int parked;     // the worker waits on `wake`
  _Atomic int stop;
  cbk_team_fn fn;
  void *context;
};

static inline void cbk_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static long cbk_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void *cbk_team_worker(void *argument) {
  struct cbk_team *t = argument;
  long seen = 0;
  for (;;) {
    long issued = atomic_load(&t->issued);
    if (issued == seen) {
      long start = cbk_now_ns();
      int polls = 0;
      while ((issued = atomic_load(&t->issued)) == seen && !atomic_load(&t->stop)) {
        cbk_pause();
        if (++polls % 64 == 0 && cbk_now_ns() - start > CBK_TEAM_SPIN_NS) {
          pthread_mutex_lock(&t->mutex);
          atomic_store(&t->parked, 1);
          while ((issued = atomic_load(&t->issued)) == seen && !atomic_load(&t->stop)) {
            pthread_cond_wait(&t->wake, &t->mutex);
          }
          atomic_store(&t->parked, 0);
          pthread_mutex_unlock(&t->mutex);
          break;
        }
      }
    }
    if (issued == seen) return NULL;  // stopped with nothing left to run
    seen = issued;
    long expected = seen - 1;
    if (atomic_compare_exchange_strong(&t->claimed, &expected, seen)) {
      t->fn(t->context, 1);
      atomic_store(&t->finished, seen);
    }
  }
}

cbk_team *cbk_team_create(void) {
  struct cbk_team *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  pthread_mutex_init(&t->mutex, NULL);
  pthread_cond_init(&t->wake, NULL);
  atomic_init(&t->issued, 0);
  atomic_init(&t->claimed, 0);
  atomic_init(&t->finished, 0);
  atomic_init(&t->parked, 0);
  atomic_init(&t->stop, 0);
  if (pthread_create(&t->thread, NULL, cbk_team_worker, t) != 0) {
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->mutex);
    free(t);
    return NULL;
  }
  return t;
}

// Sequentially consistent atomics: either the worker sees the new task before it parks, or this thread sees it
// parked and signals it (under the mutex, which the worker holds from its last check until it waits).
static void cbk_team_notify(struct cbk_team *t) {
  if (atomic_load(&t->parked)) {
    pthread_mutex_lock(&t->mutex);
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->mutex);
  }
}

void cbk_team_run(cbk_team *t, cbk_team_fn fn, void *context) {
  t->fn = fn;
  t->context = context;
  long task = atomic_load(&t->issued) + 1;
  atomic_store(&t->issued, task);  // publishes fn and context
  cbk_team_notify(t);
  fn(context, 0);
  // Part 1 not started yet (the worker was parked or descheduled): run it here.
  long expected = task - 1;
  if (atomic_compare_exchange_strong(&t->claimed, &expected, task)) {
    fn(context, 1);
    return;
  }
  int polls = 0;
  while (atomic_load(&t->finished) != task) {
    cbk_pause();
    // The worker may have been descheduled (more runnable threads than cores): let it run.
    if (++polls % 4096 == 0) sched_yield();
  }
}

void cbk_team_destroy(cbk_team *t) {
  if (!t) return;
  atomic_store(&t->stop, 1);
  pthread_mutex_lock(&t->mutex);
  pthread_cond_signal(&t->wake);
  pthread_mutex_unlock(&t->mutex);
  pthread_join(t->thread, NULL);
  pthread_cond_destroy(&t->wake);
  pthread_mutex_destroy(&t->mutex);
  free(t);
}
