package db

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// Migrations returns the migrations folder dir of fsys (the folder a store
// embeds) together with shared, the migrations of packages whose tables the
// schema also holds (pkg/txsender's, for a service that sends), as the one
// folder Open and Migrate read. A version must be unique across them all:
// ReadMigrations refuses two files with the same version. A bad dir is
// reported by the first read, at start-up.
func Migrations(fsys fs.FS, dir string, shared ...fs.FS) fs.FS {
	j := joined{{fsys: fsys, dir: dir}}
	for _, s := range shared {
		j = append(j, folder{fsys: s, dir: "."})
	}
	return j
}

// folder is the directory dir of fsys.
type folder struct {
	fsys fs.FS
	dir  string
}

// joined lists the files of its folders side by side in one root. Migrations
// are flat, so only the root is joined: any other path is the first folder's
// that has it.
type joined []folder

func (j joined) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		entries, err := j.ReadDir(".")
		if err != nil {
			return nil, err
		}
		return &rootDir{entries: entries}, nil
	}
	for _, f := range j {
		file, err := f.fsys.Open(path.Join(f.dir, name))
		if !errors.Is(err, fs.ErrNotExist) {
			return file, err
		}
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (j joined) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	var all []fs.DirEntry
	for _, f := range j {
		entries, err := fs.ReadDir(f.fsys, path.Join(f.dir, name))
		switch {
		case name != "." && errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return nil, err
		case name != ".":
			return entries, nil
		}
		all = append(all, entries...)
	}
	if name != "." {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	slices.SortStableFunc(all, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return all, nil
}

// rootDir is the joined root opened as a directory.
type rootDir struct{ entries []fs.DirEntry }

func (d *rootDir) Stat() (fs.FileInfo, error) { return rootInfo{}, nil }
func (d *rootDir) Close() error               { return nil }

func (d *rootDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: errors.New("is a directory")}
}

func (d *rootDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		rest := d.entries
		d.entries = nil
		return rest, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	next := d.entries[:n]
	d.entries = d.entries[n:]
	return next, nil
}

type rootInfo struct{}

func (rootInfo) Name() string       { return "." }
func (rootInfo) Size() int64        { return 0 }
func (rootInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (rootInfo) ModTime() time.Time { return time.Time{} }
func (rootInfo) IsDir() bool        { return true }
func (rootInfo) Sys() any           { return nil }
