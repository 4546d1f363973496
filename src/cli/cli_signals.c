/* The CLI's SIGINT/SIGTERM handling (see cli_signals.h). */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli_signals.h"

static volatile sig_atomic_t received = 0;
static struct sigaction previous_int, previous_term;
static int installed = 0;

static void on_signal(int sig)
{
    if (received) _exit(gt_cli_signal_exit_code(sig)); /* the second one: at once */
    received = sig;
    static const char note[] = "\ngtrain: stopping after the current step (send the signal "
                               "again to quit at once)\n";
    ssize_t ignored = write(STDERR_FILENO, note, sizeof note - 1);
    (void)ignored;
}

void gt_cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* a write interrupted by the first signal goes on */
    received = 0;
    sigaction(SIGINT, &sa, &previous_int);
    sigaction(SIGTERM, &sa, &previous_term);
    installed = 1;
}

void gt_cli_signals_restore(void)
{
    if (!installed) return;
    sigaction(SIGINT, &previous_int, NULL);
    sigaction(SIGTERM, &previous_term, NULL);
    installed = 0;
}

int gt_cli_signal_received(void)
{
    return (int)received;
}

int gt_cli_stop_requested(void *user)
{
    (void)user;
    return received != 0;
}

int gt_cli_signal_exit_code(int sig)
{
    return 128 + sig;
}

const char *gt_cli_signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}
