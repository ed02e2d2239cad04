package io.sparkseg.job.run;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.TransientApiMetadata;

/**
 * A real S3 endpoint for tests: S3Proxy in-process on jclouds' transient (in-memory) blobstore with one bucket,
 * reached over HTTP by hadoop-aws with requests signed by the given keys.
 */
final class S3Endpoint implements AutoCloseable {
  private final BlobStoreContext blobs;
  private final S3Proxy proxy;
  private final String access;
  private final String secret;

  private S3Endpoint(BlobStoreContext blobs, S3Proxy proxy, String access, String secret) {
    this.blobs = blobs;
    this.proxy = proxy;
    this.access = access;
    this.secret = secret;
  }

  static S3Endpoint start(String bucket, String access, String secret) throws Exception {
    // by ApiMetadata, not by id: looking up "transient" would load every provider S3Proxy registers
    BlobStoreContext blobs = ContextBuilder.newBuilder(new TransientApiMetadata()).credentials("unused", "unused")
        .build(BlobStoreContext.class);
    S3Proxy proxy = S3Proxy.builder().blobStore(blobs.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, access, secret).build();
    proxy.start();
    while (!AbstractLifeCycle.STARTED.equals(proxy.getState())) {
      Thread.sleep(10);
    }
    blobs.getBlobStore().createContainerInLocation(null, bucket);
    return new S3Endpoint(blobs, proxy, access, secret);
  }

  /** The blobstore behind the endpoint, to put and read objects without S3A. */
  BlobStore store() {
    return blobs.getBlobStore();
  }

  /** The Hadoop settings (no {@code spark.hadoop.} prefix) that reach it with its keys; S3A's buffers under tmp (no committer staging path: the magic committer needs none). */
  Map<String, String> s3aConf(Path tmp) {
    Map<String, String> s3a = new TreeMap<>();
    s3a.put("fs.s3a.endpoint", "http://127.0.0.1:" + proxy.getPort());
    s3a.put("fs.s3a.endpoint.region", "us-east-1");
    s3a.put("fs.s3a.path.style.access", "true");
    s3a.put("fs.s3a.connection.ssl.enabled", "false");
    s3a.put("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    s3a.put("fs.s3a.access.key", access);
    s3a.put("fs.s3a.secret.key", secret);
    s3a.put("fs.s3a.buffer.dir", tmp.resolve("buffer").toString());
    return s3a;
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
    blobs.close();
  }
}
