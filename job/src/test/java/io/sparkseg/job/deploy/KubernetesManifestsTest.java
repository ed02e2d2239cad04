package io.sparkseg.job.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParseResult;

/**
 * deploy/k8s/*.yaml read with fabric8's Kubernetes model (the classes the Kubernetes Java client
 * uses): the pod templates are valid {@link Pod}s whose every field is known to the model, the
 * executor asks for an NVIDIA GPU, both mount the one config file; the SparkApplication is a
 * well-formed custom resource whose arguments the job's parser accepts and whose Spark settings
 * agree with conf/sparkseg-defaults.properties, the pod template and the image.
 */
class KubernetesManifestsTest {
  private static final KubernetesSerialization K8S = new KubernetesSerialization();
  private static final Quantity ONE = new Quantity("1");

  static Pod pod(String file) throws IOException {
    try (InputStream in = Files.newInputStream(DeployFiles.deploy("k8s/" + file))) {
      Pod pod = K8S.unmarshal(in, Pod.class);
      assertEquals("v1", pod.getApiVersion());
      assertEquals("Pod", pod.getKind());
      // a misspelt field would land here instead of in the model
      assertEquals(Map.of(), pod.getAdditionalProperties(), file);
      assertEquals(Map.of(), pod.getSpec().getAdditionalProperties(), file);
      for (Container c : pod.getSpec().getContainers()) {
        assertEquals(Map.of(), c.getAdditionalProperties(), file + " container " + c.getName());
      }
      return pod;
    }
  }

  static GenericKubernetesResource sparkApplication() throws IOException {
    Object parsed = K8S.unmarshal(Files.readString(DeployFiles.deploy("k8s/sparkapplication.yaml")));
    return assertInstanceOf(GenericKubernetesResource.class, parsed);
  }

  @Test
  void executorTemplateRequestsOneNvidiaGpuAndLandsOnGpuNodes() throws IOException {
    Pod pod = pod("executor-pod-template.yaml");
    Container c = pod.getSpec().getContainers().get(0);
    // Spark's default executor container name: Spark fills in this container
    assertEquals("spark-kubernetes-executor", c.getName());
    assertEquals(ONE, c.getResources().getLimits().get("nvidia.com/gpu"));
    List<Toleration> tolerations = pod.getSpec().getTolerations();
    assertTrue(tolerations.stream().anyMatch(t -> "nvidia.com/gpu".equals(t.getKey())), "no GPU toleration");
    assertEquals("true", pod.getSpec().getNodeSelector().get("nvidia.com/gpu.present"));
    assertMountsTheConfigFile(pod, c);
  }

  @Test
  void driverTemplateRunsNoInferenceSoAsksForNoGpu() throws IOException {
    Pod pod = pod("driver-pod-template.yaml");
    Container c = pod.getSpec().getContainers().get(0);
    assertEquals("spark-kubernetes-driver", c.getName());
    assertTrue(c.getResources() == null || c.getResources().getLimits() == null
        || !c.getResources().getLimits().containsKey("nvidia.com/gpu"));
    assertMountsTheConfigFile(pod, c);
  }

  /** ConfigMap sparkseg-conf mounted where SPARKSEG_CONF_DIR points, as the image also sets it. */
  private static void assertMountsTheConfigFile(Pod pod, Container c) throws IOException {
    String confDir = c.getEnv().stream().filter(e -> e.getName().equals("SPARKSEG_CONF_DIR"))
        .map(EnvVar::getValue).findFirst().orElseThrow();
    VolumeMount mount = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(confDir))
        .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + confDir));
    Volume v = pod.getSpec().getVolumes().stream().filter(x -> x.getName().equals(mount.getName()))
        .findFirst().orElseThrow();
    assertNotNull(v.getConfigMap(), "the config volume is not a ConfigMap");
    assertEquals("sparkseg-conf", v.getConfigMap().getName());
    assertEquals(confDir, DockerfileTest.env().get("SPARKSEG_CONF_DIR"), "image and pod disagree on SPARKSEG_CONF_DIR");
  }

  @Test
  void sparkApplicationIsAnOperatorResourceForTheJobJar() throws IOException {
    GenericKubernetesResource app = sparkApplication();
    assertEquals("sparkoperator.k8s.io/v1beta2", app.getApiVersion());
    assertEquals("SparkApplication", app.getKind());
    assertNotNull(app.getMetadata().getName());
    assertEquals("Java", app.get("spec", "type"));
    assertEquals("cluster", app.get("spec", "mode"));
    assertEquals("4.0.1", app.get("spec", "sparkVersion"));
    assertEquals("io.sparkseg.job.cli.SparksegCli", app.get("spec", "mainClass"));
    String jar = app.get("spec", "mainApplicationFile");
    assertTrue(jar.startsWith("local:///"), jar);
    assertTrue(DockerfileTest.copiedTargets().contains(jar.substring("local://".length())),
        "the image does not contain " + jar);
    assertEquals("nvidia.com/gpu", app.get("spec", "executor", "gpu", "name"));
    assertEquals(1, ((Number) app.get("spec", "executor", "gpu", "quantity")).intValue());
    assertTrue(((Number) app.get("spec", "restartPolicy", "onFailureRetries")).intValue() >= 1);
  }

  @Test
  void sparkApplicationArgumentsAreAcceptedByTheJobCli() throws IOException {
    List<String> args = sparkApplication().get("spec", "arguments");
    ParseResult pr = DeployFiles.parseJobArgs(args);
    assertEquals("segment", pr.commandSpec().name());
    assertNotNull(DeployFiles.option(pr, "--run-id"));
    assertNotNull(DeployFiles.option(pr, "--summary-json"));
  }

  @Test
  void sparkConfIsStringsAndAgreesWithTheDefaultsFileTemplateAndImage() throws IOException {
    Map<String, Object> conf = sparkApplication().get("spec", "sparkConf");
    // the operator's sparkConf is map[string]string: an unquoted 1 would be rejected
    conf.forEach((k, v) -> assertInstanceOf(String.class, v, "sparkConf " + k + " must be a string"));
    // the operator does not read the properties file: every spark.* key of it must be repeated
    Map<String, String> defaults = DeployFiles.sparkKeysOfDefaults();
    defaults.forEach((k, v) -> assertEquals(v, conf.get(k), "sparkConf." + k + " vs conf/" + DeployFiles.defaultsFile().getFileName()));
    // one GPU per executor: Spark's request and the pod template's limit agree
    assertEquals("1", conf.get("spark.executor.resource.gpu.amount"));
    assertEquals("nvidia.com", conf.get("spark.executor.resource.gpu.vendor"));
    assertEquals(ONE, pod("executor-pod-template.yaml").getSpec().getContainers().get(0).getResources()
        .getLimits().get("nvidia.com/gpu"));
    double perTask = Double.parseDouble((String) conf.get("spark.task.resource.gpu.amount"));
    Object cores = sparkApplication().get("spec", "executor", "cores");
    assertEquals(((Number) cores).intValue(), (int) Math.round(1 / perTask), "tasks per GPU vs executor cores");
    // files the settings point at are in the image
    List<String> inImage = DockerfileTest.copiedTargets();
    for (String key : List.of("spark.kubernetes.executor.podTemplateFile", "spark.executor.resource.gpu.discoveryScript")) {
      assertTrue(inImage.contains((String) conf.get(key)), key + " = " + conf.get(key) + " is not in the image");
    }
    String natives = (String) conf.get("spark.executor.extraClassPath");
    assertTrue(natives.endsWith("/*") && inImage.contains(natives.substring(0, natives.length() - 1)),
        "spark.executor.extraClassPath " + natives + " is not a folder of the image");
    assertNull(conf.get("spark.executor.memoryOverhead"), "set it in spec.executor.memoryOverhead only");
  }

  @Test
  void theDiscoveryScriptInTheImageIsTheOneInTheRepo() {
    Path script = DeployFiles.deploy("gpu/getGpusResources.sh");
    assertTrue(Files.isExecutable(script), script + " is not executable");
  }
}
