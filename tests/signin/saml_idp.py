"""A SAML 2.0 identity provider on 127.0.0.1 for the tests, built on pysaml2's IdP (saml2.server).

Run as a subprocess by tests/signin/providers.py: `python saml_idp.py SP_METADATA WORKDIR`.
It makes a fresh RSA key and certificate, writes its metadata to WORKDIR/idp-metadata.xml,
trusts the SP in SP_METADATA, and prints "READY <url>". GET /sso/redirect takes the SP's
AuthnRequest (HTTP-Redirect binding), signs the test user in without a form, and answers with
pysaml2's HTTP-POST form carrying a Response whose assertion is signed (RSA-SHA256).

So that the tests can check that Egenkontroll refuses bad answers, the IdP can misbehave on
request (`egk=` added to the redirect URL): `unsigned` (no signature at all) or `other-audience`
(an assertion for another service provider, posted to Egenkontroll).
"""

from __future__ import annotations

import datetime
import shutil
import sys
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_UNSPECIFIED
from saml2.server import Server

OTHER_SP = "https://annan-tjanst.example/saml2/metadata/"
USER = {"uid": ["sara.saml"], "mail": ["sara.saml@kommun.example"], "groups": ["sg-egk-enhetschef-e1"]}


def key_and_cert(workdir: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "egk-test-idp")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2)).sign(key, hashes.SHA256()))
    key_file, cert_file = workdir / "idp.key", workdir / "idp.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def other_sp_metadata(sp_metadata: Path, workdir: Path) -> Path:
    """The SP's metadata under another entity id: a second service provider the IdP also serves."""
    text = sp_metadata.read_text("utf-8")
    entity = text.split('entityID="', 1)[1].split('"', 1)[0]
    other = workdir / "other-sp.xml"
    other.write_text(text.replace(f'entityID="{entity}"', f'entityID="{OTHER_SP}"'), "utf-8")
    return other


def idp_server(base: str, sp_metadata: Path, workdir: Path) -> Server:
    key_file, cert_file = key_and_cert(workdir)
    config = IdPConfig()
    config.load({
        "entityid": f"{base}/metadata",
        "xmlsec_binary": shutil.which("xmlsec1"),
        "key_file": str(key_file),
        "cert_file": str(cert_file),
        "metadata": {"local": [str(sp_metadata), str(other_sp_metadata(sp_metadata, workdir))]},
        "service": {"idp": {
            "name": "Egenkontroll test-IdP",
            "endpoints": {"single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)]},
            "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
            "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                   "name_form": NAME_FORMAT_BASIC}},
        }},
    })
    (workdir / "idp-metadata.xml").write_bytes(create_metadata_string(None, config=config, sign=False))
    return Server(config=config)


def app_for(server: Server):
    def app(environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if environ.get("PATH_INFO") != "/sso/redirect" or "SAMLRequest" not in query:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        request = server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT).message
        mode = query.get("egk", [""])[0]
        sp_entity = OTHER_SP if mode == "other-audience" else request.issuer.text
        destination = request.assertion_consumer_service_url or server.metadata.assertion_consumer_service(
            request.issuer.text, BINDING_HTTP_POST)[0]["location"]
        response = server.create_authn_response(
            dict(USER), in_response_to=request.id, destination=destination, sp_entity_id=sp_entity,
            userid=USER["uid"][0], name_id=None,
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                   "authn_auth": server.config.entityid},
            sign_assertion=mode != "unsigned", sign_response=False,
        )
        relay = query.get("RelayState", [""])[0]
        http = server.apply_binding(BINDING_HTTP_POST, str(response), destination, relay, response=True)
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [http["data"].encode("utf-8")]
    return app


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main() -> None:
    sp_metadata, workdir = Path(sys.argv[1]), Path(sys.argv[2])
    httpd = make_server("127.0.0.1", 0, lambda e, s: [b""], handler_class=QuietHandler)
    base = f"http://127.0.0.1:{httpd.server_port}"
    httpd.set_app(app_for(idp_server(base, sp_metadata, workdir)))
    print(f"READY {base}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
