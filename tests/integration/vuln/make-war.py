#!/usr/bin/python3
"""Write a web application archive with log4j jars inside, as a build tool
would: OUT.war containing WEB-INF/lib/<artifact>-<version>.jar, each jar
with its META-INF/maven/<group>/<artifact>/pom.properties.
Usage: make-war.py OUT.war group:artifact:version..."""
import io
import sys
import zipfile


def jar(group, artifact, version):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("META-INF/MANIFEST.MF",
                   "Manifest-Version: 1.0\r\nImplementation-Title: %s\r\n"
                   "Implementation-Version: %s\r\n\r\n" % (artifact, version))
        z.writestr("META-INF/maven/%s/%s/pom.properties" % (group, artifact),
                   "groupId=%s\nartifactId=%s\nversion=%s\n" % (group, artifact, version))
        z.writestr("org/example/Dummy.class", b"\xca\xfe\xba\xbe")
    return buf.getvalue()


def main():
    out = sys.argv[1]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as war:
        war.writestr("WEB-INF/web.xml", "<web-app/>\n")
        for spec in sys.argv[2:]:
            group, artifact, version = spec.split(":")
            war.writestr("WEB-INF/lib/%s-%s.jar" % (artifact, version), jar(group, artifact, version))


if __name__ == "__main__":
    main()
