// Preloaded (`node -r`) into every service `assay up` forks: when the IPC channel to `assay up` closes (it
// exited, even by SIGKILL), the service shuts down as on SIGTERM instead of running on as an orphan.
if (process.send) process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
