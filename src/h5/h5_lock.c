/* The process-wide libhdf5 lock (h5_lock.h). */
#include <pthread.h>

#include "h5_lock.h"

static pthread_mutex_t h5_mutex = PTHREAD_MUTEX_INITIALIZER;

void gt_h5_lock(void)
{
    pthread_mutex_lock(&h5_mutex);
}

void gt_h5_unlock(void)
{
    pthread_mutex_unlock(&h5_mutex);
}
