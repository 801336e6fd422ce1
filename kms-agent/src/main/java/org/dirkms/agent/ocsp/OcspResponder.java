package org.dirkms.agent.ocsp;

import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.function.Supplier;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPResponse;
import org.bouncycastle.asn1.ocsp.OCSPResponseStatus;
import org.bouncycastle.asn1.ocsp.RevokedInfo;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.Req;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.dirkms.agent.ca.SoftwareSigner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OCSP responder of one CA (RFC 6960): takes the DER of an OCSPRequest and returns the
 * DER of an OCSPResponse, signed by the CA's delegated responder key (section 4.2.2.2).
 *
 * <ul>
 * <li>Each single request whose CertID names this CA (issuerNameHash and issuerKeyHash, in the
 * hash algorithm the request chose, section 4.1.1) gets the status the
 * {@link CertificateStatusSource} tells now: good, revoked with its time and reason, or unknown
 * (section 2.2).</li>
 * <li>A request naming another issuer only is answered unauthorized (section 2.3: this
 * responder is no authority for it); in a request that also names this CA, those single
 * requests are answered unknown (section 2.2).</li>
 * <li>A request that does not parse, has no single request or more than
 * {@link #MAX_SINGLE_REQUESTS}, or carries a nonce outside 1 to 32 octets (RFC 8954 section
 * 2.1) is answered malformedRequest; a status that cannot be read now, tryLater.</li>
 * <li>A nonce is echoed in the response (RFC 8954). The response names its responder by key
 * hash (section 4.2.2.3), carries the responder's certificate so that clients can verify it
 * against the CA, and has no nextUpdate: the status is read live for every request, so newer
 * information is always available (section 4.2.2.1).</li>
 * </ul>
 *
 * <p>Safe for concurrent use.
 */
public final class OcspResponder {
    /** The most single requests one OCSP request may carry. */
    public static final int MAX_SINGLE_REQUESTS = 32;
    private static final Logger LOG = LoggerFactory.getLogger(OcspResponder.class);

    private final X509CertificateHolder caCertificate;
    private final Supplier<SoftwareSigner> signer;
    private final CertificateStatusSource statuses;
    private final Clock clock;
    private final DigestCalculatorProvider digests;

    /**
     * A responder for the CA whose certificate is {@code caCertificate}, signing with what
     * {@code signer} gives at each response (responder certificate first in its stored chain),
     * answering from {@code statuses}.
     */
    public OcspResponder(X509Certificate caCertificate, Supplier<SoftwareSigner> signer,
            CertificateStatusSource statuses, Clock clock) {
        try {
            this.caCertificate = new X509CertificateHolder(caCertificate.getEncoded());
            this.digests = new JcaDigestCalculatorProviderBuilder().build();
        } catch (CertificateEncodingException | IOException | OperatorCreationException e) {
            throw new IllegalArgumentException("the CA certificate cannot be encoded", e);
        }
        this.signer = signer;
        this.statuses = statuses;
        this.clock = clock;
    }

    /** The DER of an unsigned OCSPResponse with {@code status} (malformedRequest, tryLater, …): RFC 6960 section 2.3. */
    public static byte[] error(int status) {
        try {
            return new OCSPResp(new OCSPResponse(new OCSPResponseStatus(status), null)).getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode an OCSP response", e);
        }
    }

    /** Answers the OCSPRequest {@code der}; never throws for what a client sent. */
    public byte[] respond(byte[] der) {
        OCSPReq request;
        Req[] singles;
        try {
            request = new OCSPReq(der);
            singles = request.getRequestList();
        } catch (IOException | RuntimeException e) {
            // Bouncy Castle reports a malformed structure as IOException or an unchecked ASN.1 exception.
            return error(OCSPRespBuilder.MALFORMED_REQUEST);
        }
        if (singles.length == 0 || singles.length > MAX_SINGLE_REQUESTS) {
            return error(OCSPRespBuilder.MALFORMED_REQUEST);
        }
        Extension nonce = request.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
        if (nonce != null && !nonceFits(nonce)) {
            return error(OCSPRespBuilder.MALFORMED_REQUEST);
        }
        List<Boolean> ours = new ArrayList<>();
        try {
            for (Req single : singles) {
                ours.add(single.getCertID().matchesIssuer(caCertificate, digests));
            }
        } catch (OCSPException | RuntimeException e) {
            // A hash algorithm this JDK does not know: the request names no CA we could match.
            return error(OCSPRespBuilder.MALFORMED_REQUEST);
        }
        if (!ours.contains(Boolean.TRUE)) {
            return error(OCSPRespBuilder.UNAUTHORIZED);
        }
        SoftwareSigner key = signer.get();
        X509Certificate responderCertificate = key.storedChain().get(0);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        try {
            X509CertificateHolder responder = new X509CertificateHolder(responderCertificate.getEncoded());
            BasicOCSPRespBuilder builder = new BasicOCSPRespBuilder(
                    new RespID(responder.getSubjectPublicKeyInfo(), digests.get(CertificateID.HASH_SHA1)));
            for (int i = 0; i < singles.length; i++) {
                CertificateID id = singles[i].getCertID();
                org.bouncycastle.cert.ocsp.CertificateStatus status = ours.get(i)
                        ? status(statuses.status(id.getSerialNumber())) : new UnknownStatus();
                builder.addResponse(id, status, Date.from(now), null, null);
            }
            if (nonce != null) {
                builder.setResponseExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce,
                        false, nonce.getExtnValue())));
            }
            BasicOCSPResp basic = builder.build(key.contentSigner(), new X509CertificateHolder[] {responder},
                    Date.from(now));
            return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
        } catch (OCSPException | IOException | CertificateEncodingException | OperatorCreationException e) {
            LOG.warn("Cannot sign an OCSP response: {}", e.getMessage());
            return error(OCSPRespBuilder.INTERNAL_ERROR);
        } catch (RuntimeException e) {
            // The directory cannot be read now: the client may ask again (RFC 6960 section 2.3).
            LOG.warn("Cannot read the revocation status for an OCSP response: {}", e.getMessage());
            return error(OCSPRespBuilder.TRY_LATER);
        }
    }

    /** RFC 8954 section 2.1: Nonce ::= OCTET STRING (SIZE(1..32)). */
    private static boolean nonceFits(Extension nonce) {
        byte[] value = nonce.getExtnValue().getOctets();
        int length;
        try {
            length = ASN1OctetString.getInstance(value).getOctets().length;
        } catch (RuntimeException e) {
            // Some clients put the nonce bytes without the inner OCTET STRING.
            length = value.length;
        }
        return length >= 1 && length <= 32;
    }

    private static org.bouncycastle.cert.ocsp.CertificateStatus status(CertificateStatus status) {
        if (status instanceof CertificateStatus.Revoked revoked) {
            return new RevokedStatus(new RevokedInfo(new ASN1GeneralizedTime(Date.from(revoked.time())),
                    revoked.reason() == null ? null : CRLReason.lookup(revoked.reason().ordinal())));
        }
        return status instanceof CertificateStatus.Good ? org.bouncycastle.cert.ocsp.CertificateStatus.GOOD
                : new UnknownStatus();
    }
}
