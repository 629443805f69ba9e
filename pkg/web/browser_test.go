package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const chromium = "/usr/bin/chromium"

// browser starts a headless Chromium for one test. Without Chromium the
// test is skipped, except in CI (CI set), where it must run.
func browser(t *testing.T) (context.Context, *atomic.Int32) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser tests must run in CI, but %s is missing: install Debian's chromium (see .ci/run)", chromium)
		}
		t.Skipf("skipping browser test: %s not found (apt-get install chromium); in CI this fails instead", chromium)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "ja-JP"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1360, 1000),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	// Start the browser on a context without a deadline (the browser lives
	// as long as the context of the first call), then bound the test.
	if err := chromedp.Do(bctx); err != nil {
		cancelB()
		cancelA()
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelT := context.WithTimeout(bctx, 120*time.Second)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })

	// Any JavaScript dialog (alert, confirm, prompt) is counted and
	// dismissed: the hostile report must never raise one.
	var dialogs atomic.Int32
	err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	})
	if err != nil {
		t.Fatalf("listen for dialogs: %v", err)
	}
	return ctx, &dialogs
}

// artifacts is where screenshots go: $HOTLINE_ARTIFACTS if set, else a
// temporary directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("HOTLINE_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

type void = chromedp.Action[chromedp.Void]

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// do runs steps, failing the test with what was being done.
func do(t *testing.T, ctx context.Context, what string, steps ...void) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// text is the visible text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// waitFor evaluates a JavaScript predicate until it holds, across the
// navigations a form submission causes.
func waitFor(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!(`+expr+`)`))
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", expr)
}

// done waits for the page a successful case action redirects to.
func done(t *testing.T, ctx context.Context, action string) {
	t.Helper()
	waitFor(t, ctx, `location.search.indexOf("done=`+action+`") >= 0 && document.querySelector(".flash.notice")`)
}

func signIn(t *testing.T, ctx context.Context, base, login string) {
	t.Helper()
	do(t, ctx, "sign in as "+login,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(css(`input[name="login"]`)),
		chromedp.SendKeys(css(`input[name="login"]`), login),
		chromedp.SendKeys(css(`input[name="password"]`), password),
		chromedp.Submit(css(`input[name="password"]`)),
	)
	waitFor(t, ctx, `document.querySelector("table.queue")`)
}

func signOut(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, "sign out", chromedp.Click(css(`form[action="/logout"] button`)))
	waitFor(t, ctx, `document.querySelector('input[name="login"]')`)
}

func TestBrowserWorkflow(t *testing.T) {
	ctx, dialogs := browser(t)
	s := newSite(t)
	dir := artifacts(t)
	id := s.report(t, "https://bbs.example.jp/thread/42?res=7", hostile)
	s.report(t, "https://bbs.example.jp/thread/43", "【即日即金】高額報酬 荷物を受け取るだけ 受け子 詳細はテレグラムで")
	s.report(t, "https://shop.example.com/item/9", "拳銃 譲ります 実弾付き 手渡し可")
	s.report(t, "https://blog.example.net/recipe", "今日の晩ご飯はカレーでした")
	base := s.srv.URL
	caseURL := base + "/cases/" + id

	// The analyst signs in and sees the queue, imminent harm first.
	signIn(t, ctx, base, "tanaka")
	if first := text(t, ctx, `table.queue tbody tr:first-child .cat`); first != "自殺誘引等情報" && first != "重要犯罪密接関連情報" {
		t.Errorf("first row of the queue is %q, want a severe category first", first)
	}
	// j/k move the selection, Enter opens the selected case.
	do(t, ctx, "move in the queue", chromedp.WaitVisible(css(`tr.row.selected`)), chromedp.KeyEvent("j"), chromedp.KeyEvent("j"), chromedp.KeyEvent("k"))
	sel, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Array.prototype.indexOf.call(document.querySelectorAll("tr.row"), document.querySelector("tr.row.selected"))`))
	if err != nil || sel != 1 {
		t.Errorf("after j j k the selected row is %d (%v), want 1", sel, err)
	}
	shot(t, ctx, dir, "1-queue")
	do(t, ctx, "open with Enter", chromedp.KeyEvent("\r"))
	waitFor(t, ctx, `location.pathname.indexOf("/cases/") === 0`)

	// The hostile report: visible as text, nothing executed.
	do(t, ctx, "open the hostile case", chromedp.Navigate(caseURL), chromedp.WaitVisible(css(`.report .text`)))
	shown := text(t, ctx, `.report .text`)
	if !strings.Contains(shown, "<script>alert(1)</script><img src=x onerror=alert(2)>") || !strings.Contains(shown, "一緒に死にませんか") {
		t.Errorf("report text shown as %q, want the markup visible as text", shown)
	}
	scripts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scripts.length + document.querySelectorAll("main img, main script").length`))
	if err != nil || scripts != 1 {
		t.Errorf("the page has %d scripts and images (%v); want only app.js", scripts, err)
	}
	if m := text(t, ctx, `.report .text mark`); m != "死にませんか" {
		t.Errorf("evidence highlighted: %q", m)
	}
	shot(t, ctx, dir, "2-case-hostile")

	// Claim with the keyboard (c), then choose the category with 3.
	do(t, ctx, "claim with c", chromedp.KeyEvent("c"))
	done(t, ctx, "claim")
	if got := text(t, ctx, `.claim-box`); !strings.Contains(got, "あなたが担当中です") {
		t.Errorf("after claiming: %q", got)
	}
	do(t, ctx, "choose a category with 3", chromedp.KeyEvent("3"))
	if v, _ := chromedp.Run(ctx, chromedp.Value(css(`#judgement`))); v != "suicide_inducement" {
		t.Errorf("key 3 chose %q", v)
	}
	do(t, ctx, "decide",
		chromedp.SetValue(css(`#judgement`), "suicide_inducement/group_suicide"),
		chromedp.Click(css(`#decide-button`)))
	done(t, ctx, "decide")
	if st := text(t, ctx, `.case-head .status`); st != "判定済" {
		t.Errorf("status after the decision: %q", st)
	}
	// Four eyes: no request before a supervisor confirms.
	do(t, ctx, "request too early",
		chromedp.SendKeys(css(`#recipient`), "abuse@bbs.example.jp"),
		chromedp.Click(css(`#request-button`)))
	waitFor(t, ctx, `location.pathname.endsWith("/request") && document.querySelector("main > .flash.error")`)
	if msg := text(t, ctx, `main > .flash.error`); !strings.Contains(msg, "確認") {
		t.Errorf("request before confirmation: %q", msg)
	}
	shot(t, ctx, dir, "3-four-eyes")

	// The supervisor confirms.
	signOut(t, ctx)
	signIn(t, ctx, base, "suzuki")
	do(t, ctx, "confirm", chromedp.Navigate(caseURL), chromedp.Click(css(`#confirm-button`)))
	done(t, ctx, "confirm")
	if got := text(t, ctx, `#decide`); !strings.Contains(got, "確認: suzuki") {
		t.Errorf("after confirmation: %q", got)
	}
	// The analyst sends the request with the drafted letter, then records
	// the outcome.
	signOut(t, ctx)
	signIn(t, ctx, base, "tanaka")
	do(t, ctx, "draft the letter", chromedp.Navigate(caseURL+"?recipient_kind=site_admin&recipient=abuse%40bbs.example.jp#request"))
	letter, err := chromedp.Run(ctx, chromedp.Value(css(`#letter`)))
	if err != nil || !strings.Contains(letter, "https://bbs.example.jp/thread/42?res=7") || !strings.Contains(letter, "自殺誘引等情報") || !strings.Contains(letter, "abuse@bbs.example.jp") {
		t.Errorf("drafted letter (%v):\n%s", err, letter)
	}
	do(t, ctx, "request", chromedp.Click(css(`#request-button`)))
	done(t, ctx, "request")
	if st := text(t, ctx, `.case-head .status`); st != "依頼中" {
		t.Errorf("status after the request: %q", st)
	}
	do(t, ctx, "outcome", chromedp.SetValue(css(`#result`), "removed"), chromedp.Click(css(`#outcome-button`)))
	done(t, ctx, "outcome")
	if st := text(t, ctx, `.case-head .status`); st != "完了" {
		t.Errorf("status after the outcome: %q", st)
	}
	// The audit trail: every step, who did it, the state before and after.
	history := text(t, ctx, `table.history tbody`)
	for _, want := range []string{"担当", "判定", "確認 (四つの目)", "削除依頼", "結果確認", "tanaka", "suzuki", "状態=未処理", "状態=完了", "削除済"} {
		if !strings.Contains(history, want) {
			t.Errorf("history lacks %q:\n%s", want, history)
		}
	}
	shot(t, ctx, dir, "4-case-done")

	// The supervisor's dashboard, and the help on ?.
	signOut(t, ctx)
	signIn(t, ctx, base, "suzuki")
	do(t, ctx, "dashboard", chromedp.Navigate(base+"/dashboard"), chromedp.WaitVisible(css(`main table`)))
	if got := text(t, ctx, `main`); !strings.Contains(got, "tanaka") {
		t.Errorf("dashboard lacks tanaka's decision:\n%s", got)
	}
	shot(t, ctx, dir, "5-dashboard")
	do(t, ctx, "help", chromedp.KeyEvent("?"), chromedp.WaitVisible(css(`#help`)))

	// The statistics page of this month renders its charts, with the
	// request and removal just recorded counted under its category.
	month := time.Now().In(time.FixedZone("JST", 9*3600)).Format("2006-01")
	do(t, ctx, "statistics", chromedp.Navigate(base+"/stats?month="+month), chromedp.WaitVisible(css(`svg`)))
	page := text(t, ctx, `body`)
	for _, want := range []string{"削除率", "違法情報", "重要犯罪密接関連情報", "自殺誘引等情報", month[:4]} {
		if !strings.Contains(page, want) {
			t.Errorf("statistics page lacks %q:\n%s", want, page)
		}
	}
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg").length`))
	if err != nil || charts < 2 {
		t.Errorf("statistics page has %d charts (%v), want 2", charts, err)
	}
	shot(t, ctx, dir, "6-stats")

	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened: the hostile report executed", n)
	}
	// The dialog listener itself works: a dialog opened on purpose is seen.
	do(t, ctx, "probe the dialog listener", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[any](`setTimeout(function () { alert("probe") }, 0), true`))
		return err
	}))
	deadline := time.Now().Add(5 * time.Second)
	for dialogs.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if dialogs.Load() != 1 {
		t.Error("the dialog listener did not see a dialog opened on purpose; the check above proves nothing")
	}
}

// TestBrowserAdminToken uses the pages with the admin bootstrap token as a
// bearer header (as scripts and checks do): the admin pages work, and the
// hostile report is shown as text.
func TestBrowserAdminToken(t *testing.T) {
	ctx, dialogs := browser(t)
	s := newSite(t)
	dir := artifacts(t)
	id := s.report(t, "https://bbs.example.jp/thread/42", hostile)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Authorization": "Bearer " + adminToken},
	}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "create a user",
		chromedp.Navigate(s.srv.URL+"/admin/users"),
		chromedp.SendKeys(css(`input[name="login"]`), "yamada"),
		chromedp.SendKeys(css(`input[name="display_name"]`), "山田 次郎"),
		chromedp.SetValue(css(`form[action="/admin/users"] select[name="role"]`), "supervisor"),
		chromedp.SendKeys(css(`form[action="/admin/users"] input[name="password"]`), "a long password"),
		chromedp.Submit(css(`form[action="/admin/users"] input[name="password"]`)),
	)
	done(t, ctx, "user")
	if got := text(t, ctx, `main`); !strings.Contains(got, "山田 次郎") || !strings.Contains(got, "監督者") {
		t.Errorf("users page after creating one:\n%s", got)
	}
	shot(t, ctx, dir, "6-admin-users")
	do(t, ctx, "create a crawler key",
		chromedp.Navigate(s.srv.URL+"/admin/keys"),
		chromedp.SendKeys(css(`input[name="name"]`), "patrol-1"),
		chromedp.Submit(css(`input[name="name"]`)),
	)
	waitFor(t, ctx, `document.querySelector("#newkey")`)
	if key := text(t, ctx, `#newkey`); !strings.HasPrefix(key, "hlk_") {
		t.Errorf("new key shown as %q", key)
	}
	shot(t, ctx, dir, "7-admin-keys")
	do(t, ctx, "the hostile case", chromedp.Navigate(s.srv.URL+"/cases/"+id), chromedp.WaitVisible(css(`.report .text`)))
	if got := text(t, ctx, `.report .text`); !strings.HasPrefix(got, "<script>alert(1)</script><img src=x onerror=alert(2)>") {
		t.Errorf("hostile report shown as %q", got)
	}
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened", n)
	}
}
