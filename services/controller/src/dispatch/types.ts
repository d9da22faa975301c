/**
 * Something that starts runners for ready nodes (the Kubernetes dispatcher creates a Job per node). It
 * talks to the queue through `QueueService` and is started and stopped with the controller.
 */
export interface Dispatcher {
  start(): void;
  stop(): Promise<void>;
}
