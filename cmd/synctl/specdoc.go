package main

// specFieldsDoc documents every field of the App spec but the target
// sections, for `synctl init --help`.
const specFieldsDoc = `  metadata.name            DNS label; prefixes Kubernetes names and compose projects
  spec.entryURLName        the name of the URL the browser opens for the first frontend
                           (default APP_URL)
  spec.secrets[]           {name}: the app's secret values, by name. No value is ever
                           written in the spec: each bundle makes random ones (.env for
                           compose, a Secret for Kubernetes), kept when it renders again
  spec.services[]          one entry per container:
    name                   DNS label, unique (at most 30 characters)
    role                   frontend (a page the browser loads; none, one or several),
                           api (called by the browser) or internal (called by other
                           services only). A frontend or api speaks HTTP
    urlName                a frontend's URL name (the first: entryURLName; default
                           NAME_URL)
    image                  image reference with a tag or digest
    port                   the port the container listens on (1-65535), for a service
                           with one port; without port or ports a service is a worker
                           (no Service object, no published port, no route)
    protocol               what port speaks: http (default) or tcp (a database, a cache:
                           no route, no proxy location, a TCP readiness check)
    portEnv                env var that tells the service its port (optional)
    hostPort               port published on the docker host (default 8080 + index)
    ports[]                {name, port, protocol, env, hostPort}: several named ports,
                           instead of port (the first is the one links and routes use
                           unless they name another; only the first has a default
                           hostPort)
    healthPath             path answering 200 when healthy (default / for HTTP)
    health                 {readiness, liveness}: each {http: PATH}, {tcp: PORTNAME} or
                           {command: [...]} (run in the container); liveness defaults to
                           readiness. Default: HTTP on healthPath, or TCP on the first
                           port. Compose runs only a command (as its healthcheck; those
                           who depend on the service then wait until it is healthy)
    job                    true: runs once to completion (a Kubernetes Job, compose
                           restart "no"); no ports, no replicas
    command, args          replace the image's entrypoint and its arguments
    workingDir             replaces the image's working directory
    dependsOn              services started before this one, beyond its links
    env                    static env vars (NAME: value)
    secrets[]              {name, env | file}: hand a secret of spec.secrets to the
                           service as an env var or a file at that path
    links[]                {env, service, resolvedBy, exposedAt, port, form, scheme, path,
                           user, password, portEnv}: hand another service's address to
                           this one. resolvedBy browser (the page uses it) or service
                           (default). form url (default: scheme://user:password@host:port
                           /path; scheme defaults to http for an HTTP port), hostport
                           (host:port) or host (the host; portEnv gets the port). port
                           names the port of service it reaches (default its first).
                           password names a secret the service also receives as an env
                           var: the URL refers to it, and the target expands it at start.
                           exposedAt {path, text} says where the page shows a browser
                           link ({url} in text), for synctl verify
    storage                {mountPath, file, env, size, persistent}; persistent storage
                           is one ReadWriteOnce volume: one replica, no autoscaling
    scratch                directories the container may write to, kept only for its life
                           (compose tmpfs, Kubernetes emptyDir): what an image writes
                           beside a read-only root filesystem
    resources              {requests: {cpu, memory}, limits: {cpu, memory}}
    replicas               default 1
    autoscaling            {minReplicas, maxReplicas, targetCPUPercent} (needs a cpu request)
    security               {runAsUser, runAsGroup, writableRootFilesystem}: on Kubernetes
                           containers run as user 65532 on a read-only root filesystem
    outbound               {ports, cidrs}: TCP ports the service connects to outside the
                           app, e.g. a public API; cidrs default to the internet (every
                           address but the private ranges). Kubernetes network policies
                           allow only this and the links
    checks[]               {name, method, path, body, contentType, status, contains, json,
                           via}: requests synctl verify sends through the service's
                           public route; via names the link the service uses to answer
`
