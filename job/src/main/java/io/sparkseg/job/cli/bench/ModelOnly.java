package io.sparkseg.job.cli.bench;

import io.sparkseg.core.bench.ModelThroughput;
import io.sparkseg.core.bench.TorchProfile;
import io.sparkseg.core.image.RgbImage;
import io.sparkseg.core.model.FlipTest;
import io.sparkseg.core.model.LibtorchThreads;
import io.sparkseg.core.model.MaskRcnnModel;
import io.sparkseg.core.model.ModelBundle;
import io.sparkseg.core.model.Precision;
import io.sparkseg.core.model.PredictOptions;
import io.sparkseg.job.executor.PipelineSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The model-only measurement that {@code bench model} prints and {@code bench e2e} compares the job with. */
final class ModelOnly {
  private static final int PROFILE_TOP = 15;

  private ModelOnly() {}

  /** The forward pass alone on {@code imgs}; with {@code torchProfile}, libtorch's profiler records it into that file. */
  static Map<String, Object> measure(ModelBenchOptions args, List<RgbImage> imgs, PipelineSettings threads,
      Path torchProfile) throws IOException {
    ModelBundle bundle = ModelBundle.load(args.model);
    try (MaskRcnnModel m = MaskRcnnModel.load(bundle, "cpu", FlipTest.parse(args.flipTest),
        Precision.parse(args.precision))) {
      PredictOptions options = bundle.defaultOptions();
      TorchProfile profile = torchProfile == null ? null : TorchProfile.to(torchProfile);
      ModelThroughput.Result r = ModelThroughput.forwardOnly(m, imgs, args.batchSize, args.warmup, imgs.size(),
          options, threads.inferenceThreads(), profile);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("what", r.what());
      out.put("torch_threads", LibtorchThreads.current());
      out.put("flip_test", m.flips());
      out.put("precision", m.precision().id());
      out.put("images", r.images());
      out.put("seconds", r.seconds());
      out.put("images_per_second", r.imagesPerSecond());
      out.put("ms_per_image", r.msPerImage());
      out.put("instances", r.instances());
      out.put("postprocess_us_per_instance", r.postprocessMicrosPerInstance());
      if (profile != null) {
        out.put("torch_profile", profileSummary(profile, r.images()));
      }
      return out;
    }
  }

  /** The trace's path and its top operators by self time, in ms per image. */
  private static Map<String, Object> profileSummary(TorchProfile profile, int images) throws IOException {
    List<Map<String, Object>> ops = new ArrayList<>();
    for (TorchProfile.OperatorTime t : TorchProfile.topBySelfTime(profile.trace(), PROFILE_TOP)) {
      Map<String, Object> op = new LinkedHashMap<>();
      op.put("operator", t.name());
      op.put("self_ms_per_image", t.selfMillis() / images);
      op.put("calls", t.calls());
      ops.add(op);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("trace", profile.trace().toString());
    out.put("top_operators", ops);
    return out;
  }
}
