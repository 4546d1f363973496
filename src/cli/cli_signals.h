/* Internal: SIGINT and SIGTERM during `gtrain fit`. The first one sets a
 * flag that the trainer polls before every step (gt_fit_callbacks.
 * stop_requested), so the current step finishes, a checkpoint is written
 * when --save is given and the command exits 130 (SIGINT) or 143 (SIGTERM);
 * a second one exits at once with the same code. Only the CLI installs
 * these handlers: the library never touches signal dispositions. */
#ifndef GT_CLI_SIGNALS_H
#define GT_CLI_SIGNALS_H

/* Installs the handlers (sigaction); the previous dispositions are kept. */
void gt_cli_signals_install(void);
/* Puts the previous dispositions back. */
void gt_cli_signals_restore(void);
/* The first signal received since install (SIGINT, SIGTERM), or 0. */
int gt_cli_signal_received(void);
/* For gt_fit_callbacks.stop_requested. */
int gt_cli_stop_requested(void *user);
/* Exit code for a stop by `sig`: 128 + sig (130, 143), as a shell reports it. */
int gt_cli_signal_exit_code(int sig);
/* "SIGINT" or "SIGTERM". */
const char *gt_cli_signal_name(int sig);

#endif
