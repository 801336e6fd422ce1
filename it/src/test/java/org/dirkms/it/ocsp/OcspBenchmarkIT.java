package org.dirkms.it.ocsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.dirkms.agent.ca.KeyStorePassphrase;
import org.dirkms.agent.ca.SoftwareSigner;
import org.dirkms.dist.CaCommand;
import org.dirkms.dist.CaServeSetup;
import org.dirkms.ds.server.ServerSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How close the OCSP responder of {@code dirkms serve} comes to the cost of its signature: OCSP
 * answers per second over HTTP (several client threads, real requests with a fresh nonce each,
 * each answer read from the directory's current revocation state and signed) against a bare
 * loop signing a tbsResponseData of the same size with the same key and algorithm, on as many
 * threads, in the same run. Prints {@code BENCHMARK} lines; the ratio is what the HTTP, the
 * request parsing and the status read cost on top of the signature.
 */
class OcspBenchmarkIT {
    private static final int THREADS = 4;
    private static final Duration WARM_UP = Duration.ofMillis(1500);
    private static final Duration MEASURE = Duration.ofMillis(2500);
    private static final int ROUNDS = 3;

    @TempDir
    Path data;

    @Test
    void ocspAnswersPerSecondAgainstBareSigning() throws Exception {
        SecureRandom random = new SecureRandom();
        CaServeSetup.Serving serving = CaServeSetup.startServing(ServerSettings.forTests(data), null,
                new CaServeSetup.HttpSettings(new InetSocketAddress("127.0.0.1", 0), null), Clock.systemUTC(), random);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            X509Certificate alice = OcspResponderIT.issue(serving, "alice");
            OcspResponderIT.publish(serving.server(), "alice", alice);
            CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build()
                    .get(CertificateID.HASH_SHA1), new X509CertificateHolder(serving.ca().certificate().getEncoded()),
                    alice.getSerialNumber());
            List<byte[]> requests = new ArrayList<>();
            for (int i = 0; i < 512; i++) {
                byte[] nonce = new byte[16];
                random.nextBytes(nonce);
                requests.add(new OCSPReqBuilder().addRequest(id).setRequestExtensions(new Extensions(new Extension(
                        OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(nonce).getEncoded())))
                        .build().getEncoded());
            }
            URI url = URI.create(serving.http().baseUrl() + "/ocsp");
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            byte[] first = post(client, url, requests.get(0));
            OCSPResp answer = new OCSPResp(first);
            assertEquals(OCSPRespBuilder.SUCCESSFUL, answer.getStatus());
            BasicOCSPResp basic = (BasicOCSPResp) answer.getResponseObject();
            assertEquals(null, basic.getResponses()[0].getCertStatus(), "good");
            byte[] tbs = basic.getTBSResponseData();

            // The same key and algorithm as the responder: its key store in the data folder.
            KeyStorePassphrase passphrase = KeyStorePassphrase.fromFile(
                    serving.server().dataFolder().ocspPassphrase(CaCommand.DEFAULT_NAME));
            SoftwareSigner responderKey = SoftwareSigner.open(
                    serving.server().dataFolder().ocspKeyStore(CaCommand.DEFAULT_NAME), passphrase);
            passphrase.destroy();
            assertEquals(responderKey.publicKey(), serving.http().signingKey().certificate().getPublicKey());

            Loop http = (stop, next) -> {
                byte[] body = post(client, url, requests.get(next % requests.size()));
                if (new OCSPResp(body).getStatus() != OCSPRespBuilder.SUCCESSFUL) {
                    throw new AssertionError("an unsuccessful OCSP answer");
                }
            };
            Loop bare = (stop, next) -> {
                ContentSigner signer = responderKey.contentSigner();
                signer.getOutputStream().write(tbs);
                signer.getSignature();
            };
            rate(pool, bare, WARM_UP);
            rate(pool, http, WARM_UP);
            Rate bareRate = new Rate(0, 0);
            Rate httpRate = new Rate(0, 0);
            // Alternate, keeping the best of each, so that a neighbour's burst on the shared
            // machine does not decide the ratio.
            for (int round = 0; round < ROUNDS; round++) {
                bareRate = bareRate.best(rate(pool, bare, MEASURE));
                httpRate = httpRate.best(rate(pool, http, MEASURE));
            }
            String algorithm = serving.http().signingKey().certificate().getSigAlgName();
            System.out.printf("BENCHMARK ocsp (%s responder key, %d client threads, %d cores; client, server and"
                    + " directory in this JVM) per CPU second of the process: over HTTP %.1f answers, bare signing of the"
                    + " %d-byte tbsResponseData %.1f signatures, ratio %.3f%n", algorithm, THREADS,
                    Runtime.getRuntime().availableProcessors(), httpRate.perCpuSecond(), tbs.length,
                    bareRate.perCpuSecond(), httpRate.perCpuSecond() / bareRate.perCpuSecond());
            System.out.printf("BENCHMARK ocsp per wall-clock second: over HTTP %.1f answers/s, bare signing %.1f"
                    + " signatures/s, ratio %.3f%n", httpRate.perSecond(), bareRate.perSecond(),
                    httpRate.perSecond() / bareRate.perSecond());
            assertTrue(httpRate.perSecond() > 0 && bareRate.perSecond() > 0, "both loops ran");
        } finally {
            pool.shutdownNow();
            serving.close();
        }
    }

    /** One operation of a measured loop; {@code next} numbers the operations of a thread. */
    private interface Loop {
        void run(long stop, int next) throws Exception;
    }

    /** Operations per second of wall-clock time and per second of the process's CPU time. */
    private record Rate(double perSecond, double perCpuSecond) {
        Rate best(Rate other) {
            return new Rate(Math.max(perSecond, other.perSecond), Math.max(perCpuSecond, other.perCpuSecond));
        }
    }

    /**
     * {@link #THREADS} threads running {@code loop} for {@code period}. The CPU time is the whole
     * process's (client, HTTP server, directory, signing): the machine is shared, and a
     * neighbour's load stretches wall-clock time but not this process's CPU time.
     */
    private static Rate rate(ExecutorService pool, Loop loop, Duration period) throws Exception {
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpuStart = os.getProcessCpuTime();
        long start = System.nanoTime();
        long stop = start + period.toNanos();
        List<Future<Integer>> counts = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int offset = t * 97;
            counts.add(pool.submit(() -> {
                int done = 0;
                while (System.nanoTime() < stop) {
                    loop.run(stop, offset + done);
                    done++;
                }
                return done;
            }));
        }
        long total = 0;
        for (Future<Integer> count : counts) {
            total += count.get();
        }
        double wall = (System.nanoTime() - start) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpuStart) / 1e9;
        return new Rate(total / wall, total / cpu);
    }

    private static byte[] post(HttpClient client, URI url, byte[] request) throws Exception {
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(url)
                .header("Content-Type", "application/ocsp-request").POST(HttpRequest.BodyPublishers.ofByteArray(request))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new AssertionError("HTTP " + response.statusCode());
        }
        return response.body();
    }
}
