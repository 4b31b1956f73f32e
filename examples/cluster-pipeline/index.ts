import { EnosPipelineDeployment } from "pulumi-enos";

// A cluster-mode pipeline with YARN resources and Spark settings. Changing any of them while the pipeline
// runs pauses it and starts it again with the new options (restartStrategy "STOP" would stop it instead).
const kpis = new EnosPipelineDeployment("aggregate-kpis", {
  pipelineId: "demo-pipeline-3",
  executionMode: "CLUSTER",
  kafkaRate: 2000,
  resourceConfig: {
    server: 1,
    yarn: { workerCount: 2, master: 1, slave: 2 },
    advanced: {
      "spark.streaming.backpressure.enabled": "true",
      "spark.executor.memory": "2g",
    },
  },
  timeouts: { create: "20m", update: "20m" },
});

export const status = kpis.status;
