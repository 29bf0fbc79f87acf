// A vCenter simulator for the tests: govmomi's simulator package (Debian's
// golang-github-vmware-govmomi-dev) on 127.0.0.1 with TLS, plus the two things
// the package leaves out and the tests need: several accounts with their own
// passwords, and "No Access" permissions that hide entities from a user.
//
// It prints one JSON line {"url": ..., "port": ...} when it serves, and exits
// when its standard input closes (the test process that started it is gone) or
// on SIGTERM.
package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"syscall"

	"crypto/tls"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// noAccess is the role id of vSphere's built-in "No access" role.
const noAccess = -5

// accounts: user name (lower case) -> password. The simulator itself accepts
// any non-empty pair; a pair not listed here reaches it with an empty password,
// so that the fault (InvalidLogin) is the simulator's own.
var accounts = map[string]string{}

type loginEnvelope struct {
	Body struct {
		Login *struct {
			UserName string `xml:"userName"`
			Password string `xml:"password"`
		} `xml:"Login"`
	} `xml:"Body"`
}

var passwordElement = regexp.MustCompile(`(?s)<password(\s[^>]*)?>.*?</password>`)

func checkLogins(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, err := ioutil.ReadAll(io.LimitReader(r.Body, 64<<20))
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			var env loginEnvelope
			if bytes.Contains(body, []byte("Login")) && xml.Unmarshal(body, &env) == nil && env.Body.Login != nil {
				want, known := accounts[strings.ToLower(env.Body.Login.UserName)]
				if !known || want != env.Body.Login.Password {
					body = passwordElement.ReplaceAll(body, []byte("<password$1></password>"))
				}
			}
			r.Body = ioutil.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}

// views is the ViewManager with vSphere's visibility rule: an entity under a
// "No access" permission of the session's user is not in the user's views, and
// a view of it is refused with NoPermission (System.View).
type views struct {
	simulator.ViewManager
}

var authz *simulator.AuthorizationManager

func hidden(user string, ref types.ManagedObjectReference) bool {
	self := true
	for obj := simulator.Map.Get(ref); obj != nil; {
		entity, ok := obj.(mo.Entity)
		if !ok {
			return false
		}
		res := authz.RetrieveEntityPermissions(&types.RetrieveEntityPermissions{Entity: entity.Reference()})
		for _, p := range res.(*methods.RetrieveEntityPermissionsBody).Res.Returnval {
			if strings.EqualFold(p.Principal, user) && (self || p.Propagate) {
				return p.RoleId == noAccess
			}
		}
		parent := entity.Entity().Parent
		if parent == nil {
			return false
		}
		obj, self = simulator.Map.Get(*parent), false
	}
	return false
}

func (m *views) CreateContainerView(ctx *simulator.Context, req *types.CreateContainerView) soap.HasFault {
	user := ctx.Session.UserName
	if hidden(user, req.Container) {
		return &methods.CreateContainerViewBody{Fault_: simulator.Fault("Permission to perform this operation was denied.",
			&types.NoPermission{Object: req.Container, PrivilegeId: "System.View"})}
	}
	body := m.ViewManager.CreateContainerView(ctx, req).(*methods.CreateContainerViewBody)
	if body.Res != nil {
		view := ctx.Session.Get(body.Res.Returnval).(*simulator.ContainerView)
		visible := view.View[:0]
		for _, ref := range view.View {
			if !hidden(user, ref) {
				visible = append(visible, ref)
			}
		}
		view.View = visible
	}
	return body
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	cert := flag.String("cert", "", "PEM certificate (default: the simulator's own)")
	key := flag.String("key", "", "PEM private key of -cert")
	esx := flag.Bool("esx", false, "simulate a standalone ESXi host instead of vCenter")
	version := flag.String("version", "7.0.3", "the version ServiceContent.about reports")
	vms := flag.Int("vm", 2, "VMs per resource pool")
	hosts := flag.Int("host", 3, "hosts per cluster")
	var users, hostNames list
	flag.Var(&users, "user", "an account as name:password (repeatable)")
	flag.Var(&hostNames, "host-name", "names given to the ESXi hosts, in inventory order (repeatable)")
	flag.Parse()

	model := simulator.VPX()
	if *esx {
		model = simulator.ESX()
	}
	model.Machine = *vms
	model.ClusterHost = *hosts
	model.ServiceContent.About.Version = *version
	model.ServiceContent.About.FullName = fmt.Sprintf("%s %s build-0", model.ServiceContent.About.Name, *version)
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	defer model.Remove()
	for _, account := range users {
		parts := strings.SplitN(account, ":", 2)
		if len(parts) != 2 {
			log.Fatalf("-user %q: want name:password", account)
		}
		accounts[strings.ToLower(parts[0])] = parts[1]
	}
	if !*esx {
		authz = simulator.Map.Get(*model.ServiceContent.AuthorizationManager).(*simulator.AuthorizationManager)
		simulator.Map.Put(&views{*simulator.Map.ViewManager()})
	}
	all := simulator.Map.All("HostSystem")
	sort.Slice(all, func(i, j int) bool { return all[i].Entity().Name < all[j].Entity().Name })
	for i, host := range all {
		if i < len(hostNames) {
			host.(*simulator.HostSystem).Name = hostNames[i]
		}
	}

	model.Service.Listen = &url.URL{Host: *listen}
	model.Service.TLS = new(tls.Config)
	if *cert != "" {
		pair, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			log.Fatal(err)
		}
		model.Service.TLS.Certificates = []tls.Certificate{pair}
	}
	server := model.Service.NewServer()
	defer server.Close()
	// Before the URL is printed no client knows the port, so no request races this.
	server.Config.Handler = checkLogins(server.Config.Handler)

	line, _ := json.Marshal(map[string]interface{}{"url": server.URL.String(), "port": server.URL.Port()})
	fmt.Println(string(line))

	done := make(chan os.Signal, 1)
	signal.Notify(done, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		_, _ = io.Copy(ioutil.Discard, os.Stdin)
		done <- syscall.SIGTERM
	}()
	<-done
}
