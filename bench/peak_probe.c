/* Measures what one core of this machine can do, for bench/run's "% of
 * peak": fp32 multiply-add throughput (many independent vector FMAs, so
 * latency never binds) and read bandwidth (summing a buffer far larger
 * than the caches, several streams at once). Built by bench/run with -O3 -march=native.
 * Prints: peak_gflops <x>\nbandwidth_gbs <y> */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#define LANES 16
#elif defined(__AVX__)
#define LANES 8
#else
#define LANES 4
#endif
typedef float vec __attribute__((vector_size(LANES * sizeof(float))));
#define ACCS 12

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static double fma_gflops(void) {
  vec acc[ACCS], a, b;
  for (int i = 0; i < LANES; ++i) {
    a[i] = 1.0f + 1e-7f * i;
    b[i] = 1e-7f;
  }
  for (int k = 0; k < ACCS; ++k)
    acc[k] = a * (float)k;
  const long iters = 50000000;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double start = now();
    for (long i = 0; i < iters; ++i)
      for (int k = 0; k < ACCS; ++k)
        acc[k] = acc[k] * a + b;
    double seconds = now() - start;
    double gflops = 2.0 * LANES * ACCS * iters / seconds / 1e9;
    if (gflops > best)
      best = gflops;
  }
  float sink = 0;
  for (int k = 0; k < ACCS; ++k)
    for (int i = 0; i < LANES; ++i)
      sink += acc[k][i];
  if (sink == 12345.0f)
    printf("#\n");
  return best;
}

/* Reads STREAMS parts of the buffer at once: one sequential stream leaves
 * the prefetchers idle and under-reports what a core can pull (a GEMV over
 * a weight panel reads many rows at once). */
#define STREAMS 8
static double read_gbs(void) {
  const size_t n = (size_t)1 << 27; /* 512 MiB of floats */
  const size_t part = n / STREAMS;
  float *data = malloc(n * sizeof(float));
  if (!data)
    return 0;
  for (size_t i = 0; i < n; ++i)
    data[i] = (float)(i & 7);
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    vec sum[STREAMS] = {0};
    double start = now();
    for (size_t i = 0; i < part; i += LANES)
      for (int k = 0; k < STREAMS; ++k)
        sum[k] += *(vec *)(data + k * part + i);
    double seconds = now() - start;
    double gbs = n * sizeof(float) / seconds / 1e9;
    if (gbs > best)
      best = gbs;
    float total = 0;
    for (int k = 0; k < STREAMS; ++k)
      total += sum[k][0];
    if (total == -1.0f)
      printf("#\n");
  }
  free(data);
  return best;
}

int main(void) {
  printf("peak_gflops %.1f\n", fma_gflops());
  printf("bandwidth_gbs %.1f\n", read_gbs());
  return 0;
}
